/**
 * Entry point: wires the parts together and nothing else. Activation is cheap and starts no
 * process: the inference child starts with the first request and is unloaded when idle
 * (src/supervision/engineIdle.ts). A failure to activate is shown to the user, because VS Code itself stays
 * silent about it.
 */
import * as vscode from 'vscode';
import { Activity } from '../editor/activity';
import type { CommandOutcome, DllmApi } from './api';
import { registerCommands } from './commands';
import { Config } from './config';
import { completionSchemes } from '../editor/documentFilter';
import { EngineHost } from '../supervision/engineHost';
import { EngineIdle } from '../supervision/engineIdle';
import { SnoozeState } from '../editor/inlineGate';
import { InlineProvider } from './inlineProvider';
import { RecentModels } from '../editor/modelChoice';
import { errorMessage } from '../base/errorText';
import { createLog, logEngine } from './log';
import { Proposals } from './proposals';
import { StatusBar } from './statusBar';
import { healthOf } from '../editor/statusModel';

let host: EngineHost | undefined;

export function activate(context: vscode.ExtensionContext): DllmApi {
  const started = performance.now();
  const log = createLog();
  context.subscriptions.push(log);
  try {
    const api = wire(context, log, started);
    log.info(`Activated in ${api.activationMs.toFixed(1)} ms; the engine starts with the first request.`);
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
  const packageJson = context.extension.packageJSON as { capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } } };
  const config = new Config(log, packageJson.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
  const activity = new Activity();
  const snooze = new SnoozeState(context.globalState);
  const engineHost: EngineHost = new EngineHost({
    serverModule: context.asAbsolutePath('dist/server.js'),
    clientName: `vscode ${vscode.version}`,
    execArgv: engineInspectArgs(process.env.DLLM_ENGINE_INSPECT),
    settings: () => config.engine,
    log,
    onEngineLog: (entry) => logEngine(log, entry),
    ui: {
      warn: (message) => void vscode.window.showWarningMessage(`dLLM Complete: ${message}`),
      failed: (message) => {
        // A chosen model that does not load: going back to the bundled one is one click.
        const actions = config.engine.modelPath ? ['Use Bundled Model', 'Show Log'] : ['Show Log', 'Restart Engine'];
        void vscode.window.showErrorMessage(`dLLM Complete: ${message}`, ...actions).then((choice) => {
          if (choice === 'Show Log') log.show(true);
          else if (choice === 'Restart Engine') void engineHost.restart('requested after a failure');
          else if (choice === 'Use Bundled Model') void vscode.commands.executeCommand('dllm.useBundledModel');
        });
      },
    },
  });
  host = engineHost;
  const provider = new InlineProvider(engineHost, config, snooze, activity, log);
  const statusBar = new StatusBar(engineHost, config, snooze, activity);
  const idle = new EngineIdle({
    host: engineHost,
    activity,
    idleMinutes: () => config.engine.idleUnloadMinutes,
    pausedReason: () => (snooze.snoozed ? 'inline completions are snoozed' : config.inline.enabled ? undefined : 'inline completions are turned off'),
  });
  const proposals = new Proposals(log);
  let lastCommand: CommandOutcome | undefined;

  context.subscriptions.push(
    config,
    engineHost,
    statusBar,
    idle,
    proposals,
    snooze,
    snooze.onDidChange(() => idle.settingsChanged()),
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
      recentModels: new RecentModels(context.globalState),
      proposals,
      log,
      onCommandOutcome: (o) => (lastCommand = o),
      converterModule: context.asAbsolutePath('dist/convert.js'),
      modelsDir: vscode.Uri.joinPath(context.globalStorageUri, 'models').fsPath,
      downloadsDir: vscode.Uri.joinPath(context.globalStorageUri, 'downloads').fsPath,
    }),

    config.onDidChange((change) => {
      provider.clearCache();
      idle.settingsChanged();
      // A stopped engine picks the new settings up when it next starts.
      if (change.affectsEngine && engineHost.state.kind !== 'stopped') {
        void engineHost.restart('an engine setting (device, model, threads or context cache) changed');
      }
    }),
    engineHost.onDidChangeState((state) => {
      if (state.kind === 'ready') provider.clearCache();
    }),
  );

  const activationMs = performance.now() - started;
  return {
    ready: () => engineHost.ready(),
    get health() {
      return healthOf({
        engine: engineHost.state,
        inlineOff: config.inlineOffReason(vscode.window.activeTextEditor?.document.languageId),
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
    get proposal() {
      return proposals.current;
    },
    activationMs,
  };
}

/** `--inspect=<port>` for the inference child when DLLM_ENGINE_INSPECT names a port (.vscode/launch.json's "Attach to Engine"). */
export function engineInspectArgs(port: string | undefined): string[] | undefined {
  return port && /^\d{1,5}$/.test(port) ? [`--inspect=${port}`] : undefined;
}
