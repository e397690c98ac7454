/**
 * Inline completions (ghost text). Each call either shows one suggestion or records why not.
 * Order of work: cheap refusals → typed-through reuse → cache → debounce → the model, with a
 * cancellation check after every await; the VS Code token travels to the child, and the server
 * supersedes older inline requests itself.
 */
import { LRUCache } from 'lru-cache';
import * as vscode from 'vscode';
import { EngineClientError } from '../client/errors';
import { cacheKey } from '../completion/cacheKey';
import { cutWindow, windowChars } from '../completion/contextWindow';
import { infillRequest } from '../completion/infillRequest';
import { documentSkipReason } from '../completion/documentGuards';
import { defaultMaxLines, manualMaxLines, postProcessInline, type IndentStyle, type InlineResult } from '../completion/postprocess';
import { anchorChars, remainingAfterTyping, type ShownSuggestion } from '../completion/typedThrough';
import { toLf } from '../protocol/text';
import type { Activity, InlineOutcome } from '../editor/activity';
import { cancellableSleep } from '../editor/cancellableSleep';
import type { Config } from './config';
import { isCompletionScheme } from '../editor/documentFilter';
import { documentLineEnd, documentText, fromLf } from './documentText';
import { WaitCancelledError, type EngineHost } from '../supervision/engineHost';
import type { SnoozeState } from '../editor/inlineGate';
import { errorMessage } from '../base/errorText';
import type { Log } from './log';

/** `empty`: the model (or the cache of its answer) answered, and nothing of it was left to show. */
type Answer = { text: string; source: NonNullable<InlineOutcome['source']> } | { reason: string; empty?: boolean };

/** Characters around the cursor scanned for binary content. */
const binarySampleChars = 4000;

export class InlineProvider implements vscode.InlineCompletionItemProvider {
  /** Post-processed answers by context hash; an empty answer is cached too (the model is deterministic at temperature 0). */
  private readonly cache = new LRUCache<string, InlineResult>({ max: 300 });
  private shown: ShownSuggestion | undefined;
  /** Documents the engine may hold a context for (their URIs went with a request). */
  private readonly sentDocuments = new Set<string>();

  constructor(
    private readonly host: EngineHost,
    private readonly config: Config,
    private readonly snooze: SnoozeState,
    private readonly activity: Activity,
    private readonly log: Log,
  ) {}

  /** A closed document's context is of no more use to the engine. */
  documentClosed(document: vscode.TextDocument): void {
    const uri = document.uri.toString();
    if (this.sentDocuments.delete(uri)) this.host.readyClient?.documentClosed(uri);
  }

  /** Forget cached answers (settings or model changed). */
  clearCache(): void {
    this.cache.clear();
    this.shown = undefined;
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const id = ++this.activity.inlineCalls;
    const started = Date.now();
    let answer: Answer;
    try {
      answer = await this.answer(document, position, context, token);
    } catch (error) {
      answer = { reason: `engine error: ${errorMessage(error)}` };
    }
    const ms = Date.now() - started;
    if ('reason' in answer) {
      this.activity.recordInline({ id, reason: answer.reason, empty: answer.empty, ms });
      this.log.info(`inline #${id} ${document.languageId} ${position.line + 1}:${position.character + 1}: nothing shown — ${answer.reason} (${ms} ms)`);
      return undefined;
    }
    const insert = fromLf(answer.text, documentLineEnd(document));
    const offset = document.offsetAt(position);
    this.shown = {
      uri: document.uri.toString(),
      offset,
      before: document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - anchorChars)), position)),
      after: document.getText(new vscode.Range(position, document.positionAt(offset + anchorChars))),
      text: insert,
    };
    this.activity.recordInline({ id, source: answer.source, text: insert, ms });
    this.log.debug(`inline #${id}: shown from ${answer.source} (${ms} ms): ${JSON.stringify(insert)}`);
    return [new vscode.InlineCompletionItem(insert, new vscode.Range(position, position))];
  }

  private async answer(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<Answer> {
    const inline = this.config.inline;
    const manual = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const off = manual ? undefined : this.config.inlineOffReason(document.languageId);
    if (off) return { reason: off };
    const until = this.snooze.until;
    if (until !== undefined && !manual) return { reason: `snoozed until ${new Date(until).toLocaleTimeString()}` };
    if (!isCompletionScheme(document.uri.scheme)) return { reason: `"${document.uri.scheme}" documents are not code editors` };
    if (context.selectedCompletionInfo) return { reason: 'the suggestion widget is open' };
    if (token.isCancellationRequested) return { reason: 'cancelled before start' };

    const offset = document.offsetAt(position);
    const lastLine = document.lineAt(document.lineCount - 1);
    const length = document.offsetAt(lastLine.range.end);
    const skip = documentSkipReason({
      length,
      lineLength: document.lineAt(position.line).text.length,
      sample: document.getText(
        new vscode.Range(document.positionAt(offset - binarySampleChars / 2), document.positionAt(offset + binarySampleChars / 2)),
      ),
    });
    if (skip) return { reason: skip };

    const uri = document.uri.toString();
    const typed = remainingAfterTyping(this.shown, {
      uri,
      offset,
      getText: (start, end) => document.getText(new vscode.Range(document.positionAt(start), document.positionAt(end))),
    });
    if (typed !== undefined) return { text: toLf(typed), source: 'typedThrough' };

    // The engine starts on first use, and again after an idle unload: wait for it (typing on cancels the wait).
    if (this.host.state.kind !== 'ready') {
      try {
        await this.host.ready(token);
      } catch (error) {
        if (error instanceof WaitCancelledError) return { reason: 'superseded while the engine started' };
        return { reason: `the engine is not available: ${errorMessage(error)}` };
      }
    }
    const client = this.host.readyClient;
    const engine = this.host.state;
    if (!client || engine.kind !== 'ready') return { reason: `the engine is not ready (${engine.kind})` };
    const modelPath = engine.model.path;

    // What this model reads around the cursor; a little more is read so line ends can shrink and the cut still fill it.
    const chars = windowChars(engine.model.maxContextTokens);
    const window = cutWindow(
      documentText(document, new vscode.Range(document.positionAt(offset - chars - 200), position)),
      documentText(document, new vscode.Range(position, document.positionAt(offset + chars + 200))),
      chars,
    );
    const indent = this.indentStyle(document);
    const sampler = this.config.sampler;
    // Asked for by hand: a longer canvas and more lines, as a person who asks expects more than a line.
    const request = { maxTokens: manual ? inline.manualMaxTokens : inline.maxTokens, stepBudget: inline.stepBudget, sampler };
    const maxLines = manual ? manualMaxLines : defaultMaxLines;
    const key = cacheKey({
      prefix: window.prefix,
      suffix: window.suffix,
      language: document.languageId,
      settings: { ...request, modelPath, indent, maxLines },
    });
    const cached = this.cache.get(key);
    if (cached) return cached.text !== undefined ? { text: cached.text, source: 'cache' } : { reason: `cached: ${cached.reason}`, empty: true };

    if (!manual && inline.debounceMs > 0) {
      if (!(await cancellableSleep(inline.debounceMs, token))) return { reason: 'superseded while debouncing' };
    }

    let result;
    this.sentDocuments.add(uri);
    try {
      result = await this.activity.track('inline', () =>
        client.infill(infillRequest({ window, language: document.languageId, budget: request, mode: 'inline', document: uri }), token),
      );
    } catch (error) {
      if (token.isCancellationRequested) return { reason: 'cancelled while the model ran' };
      if (error instanceof EngineClientError) return { reason: `engine ${error.kind}: ${error.message}` };
      throw error;
    }
    if (token.isCancellationRequested) return { reason: 'cancelled while the model ran' };
    if (result.finishReason === 'cancelled') return { reason: 'superseded by a newer request' };

    const processed = postProcessInline({
      prefix: window.prefix,
      suffix: window.suffix,
      completion: result.text,
      finishReason: result.finishReason,
      indent,
      maxLines,
    });
    this.cache.set(key, processed);
    const stats = `${result.stats.forwardPasses} passes, ${Math.round(result.stats.totalMs)} ms`;
    if (processed.text === undefined) return { reason: `${processed.reason} (model said ${JSON.stringify(result.text)}; ${stats})`, empty: true };
    return { text: processed.text, source: 'model' };
  }

  /** The indentation style of the editor showing `document`, if one does. */
  private indentStyle(document: vscode.TextDocument): IndentStyle | undefined {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const { insertSpaces, tabSize } = editor?.options ?? {};
    if (typeof insertSpaces !== 'boolean' || typeof tabSize !== 'number') return undefined;
    return { useTabs: !insertSpaces, tabSize };
  }
}
