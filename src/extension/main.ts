/**
 * Entry point: wires the parts together and nothing else. Activation is cheap; the inference
 * child starts in the background right after it. A failure to activate is shown to the user,
 * because VS Code itself stays silent about it.
 */
import * as vscode from 'vscode';
import { Activity } from './activity';
import type { CommandOutcome, DllmApi } from './api';
import { registerCommands } from './commands';
import { Config } from './config';
import { completionSchemes } from './documentFilter';
import { EngineHost } from './engineHost';
import { SnoozeState } from './inlineGate';
import { InlineProvider } from './inlineProvider';
import { createLog, errorMessage, logEngine } from './log';
import { StatusBar } from './statusBar';
import { healthOf } from './statusModel';

let host: EngineHost | undefined;

export function activate(context: vscode.ExtensionContext): DllmApi {
  const started = performance.now();
  const log = createLog();
  context.subscriptions.push(log);
  try {
    const api = wire(context, log, started);
    log.info(`Activated in ${api.activationMs.toFixed(1)} ms; the engine starts in the background.`);
    return api;
  } catch (error) {
    const message = `dLLM Complete failed to activate: ${errorMessage(error)}`;
    log.error(message);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
      if (choice) log.show(true);
    });
    throw error;
  }
}

export async function deactivate(): Promise<void> {
  await host?.stop();
  host = undefined;
}

function wire(context: vscode.ExtensionContext, log: ReturnType<typeof createLog>, started: number): DllmApi {
  const config = new Config(log);
  const activity = new Activity();
  const snooze = new SnoozeState(context.globalState);
  const engineHost: EngineHost = new EngineHost({
    serverModule: context.asAbsolutePath('dist/server.js'),
    clientName: `vscode ${vscode.version}`,
    settings: () => config.engine,
    log,
    onEngineLog: (entry) => logEngine(log, entry),
    ui: {
      warn: (message) => void vscode.window.showWarningMessage(`dLLM Complete: ${message}`),
      failed: (message) =>
        void vscode.window.showErrorMessage(`dLLM Complete: ${message}`, 'Show Log', 'Restart Engine').then((choice) => {
          if (choice === 'Show Log') log.show(true);
          else if (choice === 'Restart Engine') void engineHost.restart('requested after a failure');
        }),
    },
  });
  host = engineHost;
  const provider = new InlineProvider(engineHost, config, snooze, activity, log);
  const statusBar = new StatusBar(engineHost, config, snooze, activity);
  let lastCommand: CommandOutcome | undefined;

  context.subscriptions.push(
    config,
    engineHost,
    statusBar,
    snooze,
    vscode.languages.registerInlineCompletionItemProvider(
      completionSchemes.map((scheme) => ({ scheme })),
      provider,
    ),
    vscode.workspace.onDidCloseTextDocument((document) => provider.documentClosed(document)),
    ...registerCommands({
      host: engineHost,
      config,
      snooze,
      activity,
      provider,
      log,
      onCommandOutcome: (o) => (lastCommand = o),
    }),
    config.onDidChange((change) => {
      provider.clearCache();
      if (change.affectsEngine) void engineHost.restart('an engine setting (device, model, threads or context cache) changed');
    }),
    engineHost.onDidChangeState((state) => {
      if (state.kind === 'ready') provider.clearCache();
    }),
  );

  // Out of activation's way: spawning the child costs a few milliseconds we need not charge to it.
  setTimeout(() => engineHost.start(), 0);

  const activationMs = performance.now() - started;
  return {
    ready: () => engineHost.ready(),
    get health() {
      return healthOf({
        engine: engineHost.state,
        inlineEnabled: config.inline.enabled,
        snoozedUntil: snooze.until,
        now: Date.now(),
        busy: activity.inFlight > 0,
      });
    },
    engine: engineHost,
    activity,
    get lastCommand() {
      return lastCommand;
    },
    activationMs,
  };
}
