/**
 * The status bar item: a view of `describeStatus` (statusModel.ts). Clicking it opens the menu.
 * Short inline requests do not flash "busy": only requests running longer than `busyDelayMs` do.
 */
import * as vscode from 'vscode';
import type { Activity } from '../editor/activity';
import type { Config } from './config';
import type { EngineHost } from '../supervision/engineHost';
import type { SnoozeState } from '../editor/inlineGate';
import { describeStatus } from '../editor/statusModel';

const busyDelayMs = 300;

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private busyTimer: NodeJS.Timeout | undefined;
  private showBusy = false;

  constructor(
    private readonly host: EngineHost,
    private readonly config: Config,
    private readonly snooze: SnoozeState,
    private readonly activity: Activity,
  ) {
    this.item = vscode.window.createStatusBarItem('dllm.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'dLLM Complete';
    this.item.command = 'dllm.showMenu';
    this.subscriptions.push(
      host.onDidChangeState(() => this.render()),
      config.onDidChange(() => this.render()),
      // The status reflects the active editor's language (completions may be off for it alone).
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (d === vscode.window.activeTextEditor?.document) this.render();
      }),
      snooze.onDidChange(() => this.render()),
      activity.onDidChange(() => this.onActivity()),
    );
    this.render();
    this.item.show();
  }

  render(): void {
    const view = describeStatus({
      engine: this.host.state,
      inlineOff: this.config.inlineOffReason(vscode.window.activeTextEditor?.document.languageId),
      snoozedUntil: this.snooze.until,
      now: Date.now(),
      busy: this.showBusy && this.activity.inFlight > 0,
      last: this.activity.lastStats,
      nothingShown: this.activity.nothingShown,
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.background === undefined ? undefined : new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
    this.item.accessibilityInformation = { label: `dLLM Complete: ${view.health}` };
  }

  private onActivity(): void {
    if (this.activity.inFlight === 0) {
      clearTimeout(this.busyTimer);
      this.busyTimer = undefined;
      this.showBusy = false;
    } else if (!this.busyTimer && !this.showBusy) {
      this.busyTimer = setTimeout(() => {
        this.busyTimer = undefined;
        this.showBusy = this.activity.inFlight > 0;
        this.render();
      }, busyDelayMs);
    }
    this.render();
  }

  dispose(): void {
    clearTimeout(this.busyTimer);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
