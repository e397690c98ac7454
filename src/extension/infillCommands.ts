/**
 * Command infills: Fill Selection, Insert Infill at Cursor, Regenerate Function Body, Insert Doc
 * Comment. Each frames its job as a hole (src/completion/holes.ts) in the text read at one document
 * version, runs one `command`-mode infill under a cancellable progress notification that shows the
 * text as it denoises, and proposes the result (proposals.ts: a diff with Accept / Discard) — only
 * if the document is still at that version and Cancel was not pressed. The document changes only
 * on Accept, as ONE undoable edit, wherever the user is by then.
 */
import * as vscode from 'vscode';
import { infillRequest, modelWindow } from '../completion/infillRequest';
import { findEnclosingFunction, locateFunctionAt, type FunctionSpan } from '../completion/functionFinder';
import { docCommentHole, functionBodyHole, holeContext, renderHole, type InfillHole } from '../completion/holes';
import type { InfillProgressNotification, InfillRequest } from '../protocol/protocol';
import { toLf } from '../protocol/text';
import type { Activity } from '../editor/activity';
import type { Config } from './config';
import { documentLineEnd, documentText, fromLf } from './documentText';
import { WaitCancelledError, type EngineHost } from '../supervision/engineHost';
import { errorMessage } from '../base/errorText';
import type { Log } from './log';
import { progressPreview } from '../editor/progressPreview';
import type { Proposal, Proposals } from './proposals';
import { RepeatCounter } from '../editor/repeatCounter';

/** How a command infill ended (also kept for the test API). */
export type CommandOutcome =
  | { command: string; applied: true; text: string; forwardPasses: number }
  | { command: string; applied: false; reason: string };

export interface InfillDeps {
  host: Pick<EngineHost, 'readyClient' | 'ready' | 'state'>;
  config: Pick<Config, 'command' | 'sampler'>;
  activity: Activity;
  log: Log;
  proposals: Pick<Proposals, 'propose'>;
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
  return runFunctionHole(deps, editor, 'dllm.regenerateFunctionBody', 'Regenerate function body', (span) => ({
    title: `Regenerate ${span.name ?? 'function'} body`,
    hole: functionBodyHole(span),
  }));
}

export async function insertDocComment(deps: InfillDeps, editor: vscode.TextEditor): Promise<CommandOutcome> {
  return runFunctionHole(deps, editor, 'dllm.insertDocComment', 'Insert doc comment', (span, text) => ({
    title: `Document ${span.name ?? 'function'}`,
    hole: docCommentHole(text, span, editor.document.languageId),
  }));
}

/** Finds the function around the cursor, then fills the hole `place` puts in it. */
async function runFunctionHole(
  deps: InfillDeps,
  editor: vscode.TextEditor,
  command: string,
  name: string,
  place: (span: FunctionSpan, text: string) => { title: string; hole: InfillHole },
): Promise<CommandOutcome> {
  const found = await enclosingFunction(deps, editor);
  if (found === 'changed') return report(deps, name, { command, applied: false, reason: changedDuringLookup }, true);
  if (!found) return report(deps, name, { command, applied: false, reason: 'no function around the cursor' }, true);
  const { span, text, version } = found;
  const { title, hole } = place(span, text);
  return runHole(deps, editor, command, title, inLfText(editor.document, text, version, hole));
}

const changedDuringLookup = 'the document changed while looking for the function; run the command again';

/**
 * A hole, the text its offsets refer to, and the document version that text was read at. Function
 * holes are found in the document's text with `\n` line ends, so CRLF documents need their offsets
 * mapped back for the edit.
 */
interface PlacedHole {
  hole: InfillHole;
  text: string;
  version: number;
  toDocumentOffset(offset: number): number;
}

function inDocument(document: vscode.TextDocument, hole: InfillHole): PlacedHole {
  return { hole, text: document.getText(), version: document.version, toDocumentOffset: (o) => o };
}

function inLfText(document: vscode.TextDocument, lfText: string, version: number, hole: InfillHole): PlacedHole {
  const crlf = documentLineEnd(document) === '\r\n';
  return {
    hole,
    text: lfText,
    version,
    toDocumentOffset: (o) => (crlf ? o + (lfText.slice(0, o).match(/\n/g)?.length ?? 0) : o),
  };
}

/**
 * The function around the cursor (offsets in `text`, the document with `\n` line ends, read at
 * `version`): symbols first, else indentation/braces. `changed` when the document was edited while
 * the language server looked for symbols: offsets from the old text would hit the wrong lines.
 */
async function enclosingFunction(
  deps: InfillDeps,
  editor: vscode.TextEditor,
): Promise<{ span: FunctionSpan; text: string; version: number } | 'changed' | undefined> {
  const { document } = editor;
  const version = document.version;
  const text = documentText(document);
  const cursor = editor.selection.active;
  // Offsets of positions in the text read above (positions, not the live document, after the wait).
  const lineStarts = lfLineStarts(text);
  const lfOffset = (p: vscode.Position): number => Math.min(text.length, (lineStarts[p.line] ?? text.length) + p.character);
  const symbol = await functionSymbolAt(document, cursor).catch((error: unknown) => {
    deps.log.debug(`Document symbols unavailable: ${errorMessage(error)}`);
    return undefined;
  });
  if (document.version !== version) return 'changed';
  if (symbol) {
    const span = locateFunctionAt(text, lfOffset(symbol.start), document.languageId, lfOffset(symbol.end));
    if (span) return { span, text, version };
    deps.log.info(`The function symbol at line ${symbol.start.line + 1} has no body the finder recognises; using indentation.`);
  }
  const span = findEnclosingFunction(text, lfOffset(cursor), document.languageId);
  return span && { span, text, version };
}

/** Offset of each line's first character in `\n`-separated text. */
function lfLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
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
  // The document, not the editor: the user may switch tabs (disposing the editor) before the result lands.
  const { document } = editor;
  const { hole, version } = placed;
  if (document.version !== version) return report(deps, title, { command, applied: false, reason: changedBeforeRun }, true);
  const { prefix, suffix } = holeContext(placed.text, hole);
  const settings = deps.config.command;

  const ended = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `dLLM: ${title}`, cancellable: true },
    async (progress, token): Promise<CommandOutcome | { proposal: Proposal; forwardPasses: number }> => {
      const cancelled: CommandOutcome = { command, applied: false, reason: 'cancelled' };
      let client = deps.host.readyClient;
      if (!client) {
        progress.report({ message: 'starting the engine…' });
        try {
          await deps.host.ready(token);
        } catch (error) {
          if (error instanceof WaitCancelledError) return cancelled;
          return { command, applied: false, reason: `the engine is not available: ${errorMessage(error)}` };
        }
        client = deps.host.readyClient;
        if (!client) return { command, applied: false, reason: 'the engine stopped while starting' };
      }
      const engine = deps.host.state;
      if (engine.kind !== 'ready') return { command, applied: false, reason: 'the engine stopped while starting' };
      if (token.isCancellationRequested) return cancelled;
      // The request's text: LF line ends, cut to what this model reads.
      const window = modelWindow(toLf(prefix), toLf(suffix), engine.model.maxContextTokens);
      let lastReport = 0;
      const onProgress = (p: InfillProgressNotification.Params['value']): void => {
        const now = Date.now();
        if (now - lastReport < 80) return; // a notification redraw per forward pass is plenty, not more
        lastReport = now;
        progress.report({ message: progressPreview(p) });
      };
      let result: InfillRequest.Result;
      try {
        result = await deps.activity.track('command', () =>
          client.infill(
            infillRequest({ window, language: document.languageId, budget: { maxTokens: settings.maxTokens, stepBudget: settings.stepBudget, sampler: deps.config.sampler }, mode: 'command' }),
            token,
            onProgress,
          ),
        );
      } catch (error) {
        return token.isCancellationRequested ? cancelled : { command, applied: false, reason: `the engine failed: ${errorMessage(error)}` };
      }
      // Cancel pressed while the answer was on its way still means: change nothing.
      if (token.isCancellationRequested || result.finishReason === 'cancelled') return cancelled;
      const rendered = renderHole(hole, result.text);
      if (rendered === undefined) {
        const reason = `the model left the hole empty (${result.stats.forwardPasses} passes)`;
        deps.activity.recordEmptyCommand(reason);
        return { command, applied: false, reason };
      }
      if (document.isClosed) return { command, applied: false, reason: 'the document was closed while the model ran' };
      if (document.version !== version) return { command, applied: false, reason: 'the document changed while the model ran; run the command again' };
      const insert = fromLf(rendered, documentLineEnd(document));
      const range = new vscode.Range(document.positionAt(placed.toDocumentOffset(hole.start)), document.positionAt(placed.toDocumentOffset(hole.end)));
      deps.log.info(
        `${command}: proposing ${insert.length} characters (${result.stats.forwardPasses} passes, ${Math.round(result.stats.totalMs)} ms, finish ${result.finishReason}).`,
      );
      return { proposal: { title, document, range, text: insert }, forwardPasses: result.stats.forwardPasses };
    },
  );
  if (!('proposal' in ended)) return report(deps, title, ended, !ended.applied && ended.reason !== 'cancelled');
  // The document changes only if the user accepts.
  const decision = await deps.proposals.propose(ended.proposal);
  if (!decision.accepted) return report(deps, title, { command, applied: false, reason: decision.reason }, decision.tellUser === true);
  deps.log.info(`${command}: accepted, ${ended.proposal.text.length} characters inserted.`);
  return report(deps, title, { command, applied: true, text: ended.proposal.text, forwardPasses: ended.forwardPasses }, false);
}

const changedBeforeRun = 'the document changed before the model could start; run the command again';

/** Numbers a message shown again, so VS Code never merges it into the identical one still showing. */
const messages = new RepeatCounter();

function report(deps: InfillDeps, title: string, outcome: CommandOutcome, tellUser: boolean): CommandOutcome {
  deps.onOutcome(outcome);
  if (!outcome.applied) {
    deps.log.info(`${outcome.command}: nothing changed — ${outcome.reason}.`);
    if (tellUser) void vscode.window.showInformationMessage(messages.label(`dLLM: ${title} changed nothing — ${outcome.reason}.`));
  }
  return outcome;
}
