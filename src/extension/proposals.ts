/**
 * A command infill's result waits here for the user: shown as a diff of the document against a
 * read-only copy with the proposal applied, with Accept / Discard in a notification, in the diff's
 * title bar and as commands. The document changes only on Accept, as one undoable edit, and only
 * if nothing touched the replaced text meanwhile. Discard, closing the diff or the document, or a
 * newer proposal leave the document as it is. One proposal at a time.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../base/errorText';
import type { Log } from './log';
import { followChanges, withProposal, type Span } from '../editor/proposalSpan';

export const proposalScheme = 'dllm-proposal';
/** Context key for the Accept / Discard title buttons and keys. */
const pendingKey = 'dllm.proposalPending';

export interface Proposal {
  /** What the command does, for titles and messages, e.g. "Fill selection". */
  title: string;
  document: vscode.TextDocument;
  range: vscode.Range;
  /** The replacement, in the document's line ends. */
  text: string;
}

export type Decision = { accepted: true } | { accepted: false; reason: string; tellUser?: boolean };

/** What the test API shows of the proposal waiting for Accept. */
export interface PendingView {
  title: string;
  text: string;
  document: string;
  diff: string;
}

interface Pending {
  proposal: Proposal;
  uri: vscode.Uri;
  /** Where the replaced text is now; undefined once an edit touched it. */
  span: Span | undefined;
  /** The text the proposal replaces, as it was when proposed. */
  replaced: string;
  decide(decision: Decision): void;
}

export class Proposals implements vscode.Disposable {
  private pending: Pending | undefined;
  private serial = 0;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly log: Log,
    private readonly scheme = proposalScheme,
  ) {
    this.subscriptions = [
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(scheme, {
        onDidChange: this.changed.event,
        provideTextDocumentContent: (uri) => this.content(uri),
      }),
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d === this.pending?.proposal.document) this.end({ accepted: false, reason: 'the document was closed', tellUser: true });
      }),
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        const uri = this.pending?.uri.toString();
        if (e.closed.some((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === uri)) {
          this.end({ accepted: false, reason: 'discarded (the diff was closed)' });
        }
      }),
    ];
  }

  get current(): PendingView | undefined {
    const p = this.pending;
    return p && { title: p.proposal.title, text: p.proposal.text, document: p.proposal.document.uri.toString(), diff: p.uri.toString() };
  }

  /** Shows `proposal` and resolves with the user's decision; a proposal still waiting is discarded first. */
  async propose(proposal: Proposal): Promise<Decision> {
    this.discard('discarded (a newer proposal replaced it)');
    const { document, range } = proposal;
    const id = ++this.serial;
    const name = path.posix.basename(document.uri.path) || 'document';
    const uri = vscode.Uri.from({ scheme: this.scheme, path: `/${id}/${name}` });
    const decided = new Promise<Decision>((resolve) => {
      this.pending = {
        proposal,
        uri,
        span: { start: document.offsetAt(range.start), end: document.offsetAt(range.end) },
        replaced: document.getText(range),
        decide: resolve,
      };
    });
    void vscode.commands.executeCommand('setContext', pendingKey, true);
    try {
      const copy = await vscode.workspace.openTextDocument(uri);
      if (copy.languageId !== document.languageId) await vscode.languages.setTextDocumentLanguage(copy, document.languageId);
      if (this.pending?.uri === uri) {
        await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `${name} ↔ dLLM: ${proposal.title} (proposed)`, { preview: false });
        // Decided while the diff was opening: end() found no tab to close then.
        if (this.pending?.uri !== uri) this.closeDiff(uri);
      }
    } catch (error) {
      this.log.warn(`The proposal's diff did not open: ${errorMessage(error)}`);
    }
    if (this.pending?.uri === uri) {
      void vscode.window
        .showInformationMessage(`dLLM: ${proposal.title} — review the proposed change, then accept or discard it.`, 'Accept', 'Discard')
        .then((choice) => {
          if (this.pending?.uri !== uri) return;
          if (choice === 'Accept') void this.accept();
          else if (choice === 'Discard') this.discard();
        });
    }
    return decided;
  }

  /** Applies the waiting proposal as one edit; refused, and the proposal dropped, when its text was touched meanwhile. */
  async accept(): Promise<boolean> {
    const p = this.pending;
    if (!p) {
      void vscode.window.showInformationMessage('dLLM: there is no proposed change to accept.');
      return false;
    }
    const { document, text } = p.proposal;
    const range = p.span && new vscode.Range(document.positionAt(p.span.start), document.positionAt(p.span.end));
    if (document.isClosed) return this.refuse('the document was closed');
    if (!range || document.getText(range) !== p.replaced) return this.refuse('the text it replaces was edited after the proposal was made');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, text);
    const applied = await vscode.workspace.applyEdit(edit).then(
      (ok) => ok,
      () => false,
    );
    if (this.pending !== p) return applied;
    if (!applied) return this.refuse('the editor refused the edit (the document changed or is read-only)');
    this.end({ accepted: true });
    return true;
  }

  /** Drops the waiting proposal, if any; the document stays as it is. */
  discard(reason = 'discarded'): void {
    this.end({ accepted: false, reason });
  }

  dispose(): void {
    this.discard('discarded (the extension stopped)');
    for (const s of this.subscriptions) s.dispose();
  }

  private refuse(reason: string): false {
    this.end({ accepted: false, reason: `not applied: ${reason}`, tellUser: true });
    return false;
  }

  private end(decision: Decision): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    void vscode.commands.executeCommand('setContext', pendingKey, false);
    p.decide(decision);
    this.closeDiff(p.uri);
  }

  /** Closes the diff showing the proposal at `uri`, if one is open. */
  private closeDiff(uri: vscode.Uri): void {
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === uri.toString());
    if (tabs.length) void Promise.resolve(vscode.window.tabGroups.close(tabs)).catch(() => undefined);
  }

  private content(uri: vscode.Uri): string {
    const p = this.pending;
    if (!p || p.uri.toString() !== uri.toString() || !p.span) return '';
    return withProposal(p.proposal.document.getText(), p.span, p.proposal.text);
  }

  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    const p = this.pending;
    if (!p || e.document !== p.proposal.document || e.contentChanges.length === 0 || !p.span) return;
    p.span = followChanges(p.span, e.contentChanges);
    if (p.span) this.changed.fire(p.uri);
    else this.log.info(`dLLM: ${p.proposal.title}: the text the proposal replaces was edited; Accept will refuse it.`);
  }
}
