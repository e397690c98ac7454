/**
 * Command infills: Fill Selection, Insert Infill at Cursor, Regenerate Function Body, Insert Doc
 * Comment. Each frames its job as a hole (src/completion/holes.ts), runs one `command`-mode infill
 * under a cancellable progress notification that shows the text as it denoises, and lands the
 * result as ONE undoable edit — only if the document did not change meanwhile; nothing changes
 * when cancelled.
 */
import * as vscode from 'vscode';
import { cutWindow, commandWindow } from '../completion/contextWindow';
import { findEnclosingFunction, locateFunctionAt, type FunctionSpan } from '../completion/functionFinder';
import { docCommentHole, functionBodyHole, holeContext, renderHole, type InfillHole } from '../completion/holes';
import { normalizeEol } from '../completion/lines';
import type { InfillProgressNotification } from '../protocol/protocol';
import type { Activity } from './activity';
import type { Config } from './config';
import type { EngineHost } from './engineHost';
import { errorMessage, type Log } from './log';
import { progressPreview } from './progressPreview';

/** How a command infill ended (also kept for the test API). */
export type CommandOutcome =
  | { command: string; applied: true; text: string; forwardPasses: number }
  | { command: string; applied: false; reason: string };

export interface InfillDeps {
  host: EngineHost;
  config: Config;
  activity: Activity;
  log: Log;
  /** Called with every outcome. */
  onOutcome(outcome: CommandOutcome): void;
}

const symbolTimeoutMs = 1500;

export async function fillSelection(deps: InfillDeps, editor: vscode.TextEditor): Promise<CommandOutcome> {
  const { document, selection } = editor;
  const hole: InfillHole = {
    start: document.offsetAt(selection.start),
    end: document.offsetAt(selection.end),
    before: '',
    after: '',
    format: { kind: 'verbatim' },
  };
  return runHole(deps, editor, 'dllm.fillSelection', selection.isEmpty ? 'Insert infill' : 'Fill selection', inDocument(document, hole));
}

export async function insertInfill(deps: InfillDeps, editor: vscode.TextEditor): Promise<CommandOutcome> {
  const offset = editor.document.offsetAt(editor.selection.active);
  const hole: InfillHole = { start: offset, end: offset, before: '', after: '', format: { kind: 'verbatim' } };
  return runHole(deps, editor, 'dllm.insertInfill', 'Insert infill', inDocument(editor.document, hole));
}

export async function regenerateFunctionBody(deps: InfillDeps, editor: vscode.TextEditor): Promise<CommandOutcome> {
  const found = await enclosingFunction(deps, editor);
  if (!found) return report(deps, { command: 'dllm.regenerateFunctionBody', applied: false, reason: 'no function around the cursor' }, true);
  const { span, text } = found;
  const title = `Regenerate ${span.name ?? 'function'} body`;
  return runHole(deps, editor, 'dllm.regenerateFunctionBody', title, inLfText(editor.document, text, functionBodyHole(span)));
}

export async function insertDocComment(deps: InfillDeps, editor: vscode.TextEditor): Promise<CommandOutcome> {
  const found = await enclosingFunction(deps, editor);
  if (!found) return report(deps, { command: 'dllm.insertDocComment', applied: false, reason: 'no function around the cursor' }, true);
  const { span, text } = found;
  const hole = docCommentHole(text, span, editor.document.languageId);
  return runHole(deps, editor, 'dllm.insertDocComment', `Document ${span.name ?? 'function'}`, inLfText(editor.document, text, hole));
}

/**
 * A hole and the text its offsets refer to. Function holes are found in the document's text with
 * `\n` line ends, so CRLF documents need their offsets mapped back for the edit.
 */
interface PlacedHole {
  hole: InfillHole;
  text: string;
  toDocumentOffset(offset: number): number;
}

function inDocument(document: vscode.TextDocument, hole: InfillHole): PlacedHole {
  return { hole, text: document.getText(), toDocumentOffset: (o) => o };
}

function inLfText(document: vscode.TextDocument, lfText: string, hole: InfillHole): PlacedHole {
  const crlf = document.eol === vscode.EndOfLine.CRLF;
  return {
    hole,
    text: lfText,
    toDocumentOffset: (o) => (crlf ? o + (lfText.slice(0, o).match(/\n/g)?.length ?? 0) : o),
  };
}

/** The function around the cursor (offsets in `text`, the document with `\n` line ends): symbols first, else indentation/braces. */
async function enclosingFunction(deps: InfillDeps, editor: vscode.TextEditor): Promise<{ span: FunctionSpan; text: string } | undefined> {
  const { document } = editor;
  const text = normalizeEol(document.getText());
  const lfOffset = (p: vscode.Position): number => normalizeEol(document.getText(new vscode.Range(new vscode.Position(0, 0), p))).length;
  const symbol = await functionSymbolAt(document, editor.selection.active).catch((error: unknown) => {
    deps.log.debug(`Document symbols unavailable: ${errorMessage(error)}`);
    return undefined;
  });
  if (symbol) {
    const span = locateFunctionAt(text, lfOffset(symbol.start), document.languageId, lfOffset(symbol.end));
    if (span) return { span, text };
    deps.log.info(`The function symbol at line ${symbol.start.line + 1} has no body the finder recognises; using indentation.`);
  }
  const span = findEnclosingFunction(text, lfOffset(editor.selection.active), document.languageId);
  return span && { span, text };
}

const functionKinds = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);

async function functionSymbolAt(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Range | undefined> {
  const symbols = await Promise.race([
    vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>(
      'vscode.executeDocumentSymbolProvider',
      document.uri,
    ),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), symbolTimeoutMs)),
  ]);
  let best: vscode.Range | undefined;
  const visit = (list: ReadonlyArray<vscode.DocumentSymbol | vscode.SymbolInformation>): void => {
    for (const s of list) {
      const range = 'location' in s ? s.location.range : s.range;
      if (!range.contains(position)) continue;
      // Innermost wins: a later, contained range replaces an outer one.
      if (functionKinds.has(s.kind) && (!best || best.contains(range))) best = range;
      if ('children' in s) visit(s.children);
    }
  };
  visit(symbols ?? []);
  return best;
}

async function runHole(deps: InfillDeps, editor: vscode.TextEditor, command: string, title: string, placed: PlacedHole): Promise<CommandOutcome> {
  const { document } = editor;
  const { hole } = placed;
  const version = document.version;
  const { prefix, suffix } = holeContext(placed.text, hole);
  const window = cutWindow(prefix, suffix, commandWindow);
  const settings = deps.config.command;

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `dLLM: ${title}`, cancellable: true },
    async (progress, token) => {
      let client = deps.host.readyClient;
      if (!client) {
        progress.report({ message: 'starting the engine…' });
        try {
          await deps.host.ready();
        } catch (error) {
          return { failed: `the engine is not available: ${errorMessage(error)}` };
        }
        client = deps.host.readyClient;
        if (!client) return { failed: 'the engine stopped while starting' };
      }
      if (token.isCancellationRequested) return { failed: 'cancelled' };
      let lastReport = 0;
      const onProgress = (p: InfillProgressNotification.Params['value']): void => {
        const now = Date.now();
        if (now - lastReport < 80) return; // a notification redraw per forward pass is plenty, not more
        lastReport = now;
        progress.report({ message: progressPreview(p) });
      };
      try {
        return await deps.activity.track('command', () =>
          client.infill(
            {
              prefix: window.prefix,
              suffix: window.suffix,
              language: document.languageId,
              maxTokens: settings.maxTokens,
              stepBudget: settings.stepBudget,
              sampler: deps.config.sampler,
              mode: 'command',
            },
            token,
            onProgress,
          ),
        );
      } catch (error) {
        return { failed: token.isCancellationRequested ? 'cancelled' : `the engine failed: ${errorMessage(error)}` };
      }
    },
  );

  if ('failed' in result) return report(deps, { command, applied: false, reason: result.failed }, result.failed !== 'cancelled');
  if (result.finishReason === 'cancelled') return report(deps, { command, applied: false, reason: 'cancelled' }, false);
  const rendered = renderHole(hole, result.text);
  if (rendered === undefined) {
    return report(deps, { command, applied: false, reason: `the model left the hole empty (${result.stats.forwardPasses} passes)` }, true);
  }
  if (document.version !== version) {
    return report(deps, { command, applied: false, reason: 'the document changed while the model ran; nothing was inserted' }, true);
  }
  const insert = document.eol === vscode.EndOfLine.CRLF ? rendered.replace(/\r?\n/g, '\r\n') : rendered;
  const range = new vscode.Range(document.positionAt(placed.toDocumentOffset(hole.start)), document.positionAt(placed.toDocumentOffset(hole.end)));
  const applied = await editor.edit((b) => b.replace(range, insert), { undoStopBefore: true, undoStopAfter: true });
  if (!applied) return report(deps, { command, applied: false, reason: 'the editor refused the edit' }, true);
  deps.log.info(
    `${command}: inserted ${insert.length} characters (${result.stats.forwardPasses} passes, ${Math.round(result.stats.totalMs)} ms, finish ${result.finishReason}).`,
  );
  return report(deps, { command, applied: true, text: insert, forwardPasses: result.stats.forwardPasses }, false);
}

function report(deps: InfillDeps, outcome: CommandOutcome, tellUser: boolean): CommandOutcome {
  deps.onOutcome(outcome);
  if (!outcome.applied) {
    deps.log.info(`${outcome.command}: nothing changed — ${outcome.reason}.`);
    if (tellUser) void vscode.window.showInformationMessage(`dLLM: nothing changed — ${outcome.reason}.`);
  }
  return outcome;
}
