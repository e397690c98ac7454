/**
 * Every `dllm.*` command except the infills' own logic (infillCommands.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeviceSetting } from '../protocol/protocol';
import type { Activity } from '../editor/activity';
import type { Config } from './config';
import type { EngineHost } from '../supervision/engineHost';
import { describeMinutes } from '../supervision/engineIdle';
import { fillSelection, insertDocComment, insertInfill, regenerateFunctionBody, type CommandOutcome, type InfillDeps } from './infillCommands';
import type { SnoozeState } from '../editor/inlineGate';
import type { InlineProvider } from './inlineProvider';
import { errorMessage } from '../base/errorText';
import type { Log } from './log';
import { addModel, type AddModelArgs } from './addModelCommand';
import { convertCheckpoint, type ConvertArgs } from './convertCommand';
import { describeModel, type RecentModels } from '../editor/modelChoice';
import { selectModel, useBundledModel } from './modelCommands';
import type { Proposals } from './proposals';
import { removeModel, type RemoveModelArgs } from './removeModel';

export interface CommandDeps {
  host: EngineHost;
  config: Config;
  snooze: SnoozeState;
  activity: Activity;
  provider: InlineProvider;
  recentModels: RecentModels;
  proposals: Proposals;
  log: Log;
  onCommandOutcome: (outcome: CommandOutcome) => void;
  /** dist/convert.js, run in a child process by "Convert a Hugging Face Checkpoint…". */
  converterModule: string;
  /** Where converted models go (the extension's global storage). */
  modelsDir: string;
  /** Where Add Model… downloads checkpoints (the extension's global storage). */
  downloadsDir: string;
}

const extensionId = 'dllm-complete.dllm-complete';

type EditorCommand = (deps: InfillDeps, editor: vscode.TextEditor) => Promise<CommandOutcome>;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const infillDeps: InfillDeps = { ...deps, onOutcome: deps.onCommandOutcome };
  const editorCommand = (id: string, run: EditorCommand): vscode.Disposable =>
    vscode.commands.registerCommand(id, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('dLLM: open an editor first.');
        return undefined;
      }
      // A new command replaces a proposal still waiting: it is discarded, the document untouched.
      deps.proposals.discard('discarded (another command started)');
      try {
        return await run(infillDeps, editor);
      } catch (error) {
        deps.log.error(`${id}: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(`dLLM: ${errorMessage(error)}`);
        return undefined;
      }
    });

  return [
    editorCommand('dllm.fillSelection', fillSelection),
    editorCommand('dllm.insertInfill', insertInfill),
    editorCommand('dllm.regenerateFunctionBody', regenerateFunctionBody),
    editorCommand('dllm.insertDocComment', insertDocComment),
    vscode.commands.registerCommand('dllm.acceptProposal', () => deps.proposals.accept()),
    vscode.commands.registerCommand('dllm.discardProposal', () => deps.proposals.discard()),
    vscode.commands.registerCommand('dllm.triggerInline', () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger')),
    vscode.commands.registerCommand('dllm.toggleInline', () => toggleInline(deps)),
    vscode.commands.registerCommand('dllm.snooze', (minutes?: number) => snooze(deps, minutes)),
    vscode.commands.registerCommand('dllm.toggleLanguage', (languageId?: string) => toggleLanguage(deps, languageId)),
    vscode.commands.registerCommand('dllm.selectDevice', (device?: DeviceSetting) => selectDevice(deps, device)),
    vscode.commands.registerCommand('dllm.selectModel', (folder?: string) => selectModel(deps, folder)),
    vscode.commands.registerCommand('dllm.useBundledModel', () => useBundledModel(deps)),
    vscode.commands.registerCommand('dllm.convertCheckpoint', (args?: ConvertArgs) => convertCheckpoint(deps, args)),
    vscode.commands.registerCommand('dllm.addModel', (args?: AddModelArgs) => addModel(deps, args)),
    vscode.commands.registerCommand('dllm.removeModel', (args?: RemoveModelArgs) => removeModel(deps, args)),
    vscode.commands.registerCommand('dllm.restartEngine', () => deps.host.restart('requested by the user')),
    vscode.commands.registerCommand('dllm.showLog', () => deps.log.show(true)),
    vscode.commands.registerCommand('dllm.showStatistics', () => showStatistics(deps)),
    vscode.commands.registerCommand('dllm.showMenu', () => showMenu(deps)),
    vscode.commands.registerCommand('dllm.gettingStarted', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${extensionId}#gettingStarted`, false),
    ),
  ];
}

/** Turns inline completions on or off; turning them on also ends a snooze. */
async function toggleInline(deps: CommandDeps): Promise<boolean> {
  const on = !deps.config.inline.enabled || deps.snooze.snoozed;
  if (deps.snooze.snoozed) await deps.snooze.resume();
  if (deps.config.inline.enabled !== on) await deps.config.setInlineEnabled(on);
  deps.log.info(`Inline completions ${on ? 'on' : 'off'}.`);
  return on;
}

/**
 * Turns automatic inline completions off for a language, or back on (the active editor's language
 * unless one is given). Returns whether they are now on, or undefined without a language.
 */
async function toggleLanguage(deps: CommandDeps, languageId?: string): Promise<boolean | undefined> {
  languageId ??= vscode.window.activeTextEditor?.document.languageId;
  if (!languageId) {
    void vscode.window.showInformationMessage('dLLM: open an editor in the language to turn inline completions on or off for.');
    return undefined;
  }
  const on = deps.config.inlineOffReason(languageId) !== undefined;
  await deps.config.setLanguageEnabled(languageId, on);
  deps.log.info(`Inline completions ${on ? 'on' : 'off'} for ${languageId}.`);
  return on;
}

/** Snoozes for `minutes` (tests pass it), else asks. 0 resumes. */
async function snooze(deps: CommandDeps, minutes?: number): Promise<void> {
  if (minutes === undefined) {
    const items: Array<vscode.QuickPickItem & { minutes: number }> = [5, 15, 30, 60].map((m) => ({
      label: `$(clock) ${m} minutes`,
      minutes: m,
    }));
    if (deps.snooze.snoozed) items.unshift({ label: '$(play) Resume now', minutes: 0 });
    const picked = await vscode.window.showQuickPick(items, { title: 'Snooze inline completions', placeHolder: 'For how long?' });
    if (!picked) return;
    minutes = picked.minutes;
  }
  if (minutes <= 0) {
    await deps.snooze.resume();
    deps.log.info('Inline completions resumed.');
  } else {
    await deps.snooze.snooze(minutes);
    deps.log.info(`Inline completions snoozed for ${minutes} minutes.`);
  }
}

const deviceItems: Array<vscode.QuickPickItem & { device: DeviceSetting }> = [
  { label: 'Auto', description: 'GPU if one starts, else CPU', device: 'auto' },
  { label: 'CPU', description: 'always the CPU', device: 'cpu' },
  { label: 'GPU', description: 'a GPU provider, or an error', device: 'gpu' },
];

/** Updates `dllm.device`; the configuration change restarts the engine. */
async function selectDevice(deps: CommandDeps, device?: DeviceSetting): Promise<void> {
  if (device === undefined) {
    const current = deps.config.engine.device;
    const state = deps.host.state;
    const running = state.kind === 'ready' ? ` — running on ${state.device.kind.toUpperCase()} (${state.device.provider})` : '';
    const picked = await vscode.window.showQuickPick(
      deviceItems.map((i) => ({ ...i, detail: i.device === current ? `current setting${running}` : undefined })),
      { title: 'dLLM: run the model on…' },
    );
    if (!picked) return;
    device = picked.device;
  }
  if (device === deps.config.engine.device) {
    await deps.host.restart(`device ${device} selected again`);
    return;
  }
  await deps.config.setDevice(device);
}

async function showStatistics(deps: CommandDeps): Promise<string> {
  const { host, activity } = deps;
  const state = host.state;
  const lines: string[] = ['# dLLM Complete — statistics', ''];
  lines.push(`Generated ${new Date().toISOString()}`, '');
  lines.push('## Engine', '');
  if (state.kind === 'ready') {
    lines.push(
      `| | |`,
      `| --- | --- |`,
      `| Model | ${describeModel(state.model)} |`,
      `| Model folder | \`${state.model.path}\`${deps.config.engine.modelPath ? '' : ' (bundled)'} |`,
      `| Limits | context ${state.model.maxContextTokens} tokens, canvas ${state.model.maxCanvasTokens} tokens, vocabulary ${state.model.vocabSize} |`,
      `| Device | ${state.device.kind.toUpperCase()} via ${state.device.provider}${state.device.threads ? `, ${state.device.threads} threads` : ''} |`,
      `| Process | ${state.pid}, start-up ${Math.round(state.startupMs)} ms, restarts ${host.restarts}, unloads ${host.unloads} |`,
    );
    if (state.warnings.length) lines.push('', `Warnings: ${state.warnings.join('; ')}`);
    try {
      const client = host.readyClient;
      const s = client ? await client.status() : undefined;
      if (s) {
        lines.push(
          '',
          '| Server | |',
          '| --- | --- |',
          `| Memory | RSS ${mib(s.rssBytes)}, heap ${mib(s.heapUsedBytes)}; unloaded after ${idleText(deps)} |`,
          `| Infills | received ${s.received}, completed ${s.completed}, cancelled ${s.cancelled}, in flight ${s.inFlight} |`,
          `| Uptime | ${Math.round(s.uptimeMs / 1000)} s |`,
        );
      }
    } catch (error) {
      lines.push('', `Server status unavailable: ${errorMessage(error)}`);
    }
  } else if (state.kind === 'stopped') {
    lines.push(
      state.unloaded ? `Not running: unloaded (${state.unloaded}). It loads with the next completion.` : 'Not running yet: it starts with the first completion.',
      '',
      `Memory: none in use (the model loads into the engine process when it starts; unloaded after ${idleText(deps)}).`,
    );
  } else {
    lines.push(`State: **${state.kind}**${state.kind === 'failed' ? ` — ${state.message}` : ''}`);
  }
  lines.push('', '## This window', '');
  lines.push(
    `| | |`,
    `| --- | --- |`,
    `| Inline provider calls | ${activity.inlineCalls} (model ${activity.inlineRequests}, cache ${activity.cacheHits}, typed-through ${activity.typedThroughHits}) |`,
    `| Command infills | ${activity.commandRequests} |`,
  );
  const st = activity.lastStats;
  if (st) {
    lines.push(
      '',
      `## Last ${activity.lastMode ?? ''} infill`,
      '',
      '| | |',
      '| --- | --- |',
      `| Forward passes | ${st.forwardPasses} (${st.tokensPerForward.toFixed(2)} positions per pass, ${st.remasked} re-masked) |`,
      `| Tokens | ${st.tokens} of a ${st.canvasTokens}-token canvas; prompt ${st.promptTokens}${st.contextReused > 0 ? ` (${st.contextReused} reused from the document's last request)` : ''} |`,
      `| Time | ${ms(st.totalMs)} total: tokenize ${ms(st.tokenizeMs)}, encode ${ms(st.encodeMs)}, denoise ${ms(st.denoiseMs)} |`,
      `| Device | ${st.device} |`,
    );
  }
  if (activity.lastInline?.reason) lines.push('', `Last inline call showed nothing: ${activity.lastInline.reason}`);
  const markdown = lines.join('\n') + '\n';
  deps.log.info(`Statistics:\n${markdown}`);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.window.showTextDocument(doc, { preview: true });
  return markdown;
}

function idleText(deps: CommandDeps): string {
  const minutes = deps.config.engine.idleUnloadMinutes;
  return minutes > 0 ? `${describeMinutes(minutes)} without a request, and while snoozed or off` : 'never when idle (dllm.idleUnloadMinutes 0), only while snoozed or off';
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** The status bar's quick menu. */
async function showMenu(deps: CommandDeps): Promise<void> {
  const enabled = deps.config.inline.enabled && !deps.snooze.snoozed;
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  const languageOn = languageId !== undefined && deps.config.inlineOffReason(languageId) === undefined;
  const state = deps.host.state;
  const modelPath = deps.config.engine.modelPath;
  const model = state.kind === 'ready' ? state.model.name : modelPath ? path.basename(modelPath) : 'bundled';
  const items: Array<vscode.QuickPickItem & { command?: string }> = [
    { label: enabled ? '$(circle-slash) Turn inline completions off' : '$(check) Turn inline completions on', command: 'dllm.toggleInline' },
  ];
  if (languageId !== undefined) {
    items.push({ label: languageOn ? `$(circle-slash) Disable for ${languageId}` : `$(check) Enable for ${languageId}`, command: 'dllm.toggleLanguage' });
  }
  items.push(
    { label: '$(clock) Snooze…', command: 'dllm.snooze' },
    { label: '$(lightbulb-sparkle) Trigger inline completion', command: 'dllm.triggerInline' },
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(file-binary) Select model…', command: 'dllm.selectModel', description: model },
    { label: '$(cloud-download) Add model…', command: 'dllm.addModel', description: 'from Hugging Face' },
  );
  if (modelPath) items.push({ label: '$(package) Use the bundled model', command: 'dllm.useBundledModel' });
  items.push(
    { label: '$(chip) Select device…', command: 'dllm.selectDevice', description: deps.config.engine.device },
    { label: '$(debug-restart) Restart engine', command: 'dllm.restartEngine' },
    { label: '$(output) Show log', command: 'dllm.showLog' },
    { label: '$(graph) Show statistics', command: 'dllm.showStatistics' },
    { label: '$(settings-gear) Settings', command: 'workbench.action.openSettings' },
    { label: '$(book) Getting started', command: 'dllm.gettingStarted' },
  );
  const picked = await vscode.window.showQuickPick(items, { title: 'dLLM Complete' });
  if (!picked?.command) return;
  if (picked.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(picked.command, `@ext:${extensionId}`);
  else await vscode.commands.executeCommand(picked.command);
}
