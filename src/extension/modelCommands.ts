/**
 * "dLLM: Select Model…" and "dLLM: Use the Bundled Model": the model folder is chosen in a picker
 * (the bundled model, recent folders, or a folder dialog), checked before anything changes, and
 * written to `dllm.modelPath`; the configuration change restarts the engine on the new model.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkModelFolder } from '../modelFolder/check';
import { BUNDLED_MODEL } from '../modelFolder/folder';
import type { Config } from './config';
import type { EngineHost } from '../supervision/engineHost';
import type { Log } from './log';
import { describeModel, type RecentModels } from '../editor/modelChoice';

export interface ModelCommandDeps {
  host: Pick<EngineHost, 'start' | 'restart' | 'state'>;
  config: Config;
  recentModels: RecentModels;
  log: Log;
}

/** How a model choice ended (returned for the tests). */
export interface ModelChoiceOutcome {
  /** The folder now in `dllm.modelPath` ('' = the bundled model), when it changed or was confirmed. */
  modelPath?: string;
  /** Why the folder was refused, if it was. */
  problem?: string;
}

type PickItem = vscode.QuickPickItem & { folder?: string; browse?: true; command?: string };

/**
 * Switches to the model in `folder` (tests and walkthrough links pass one; '' is the bundled model)
 * or asks for one. A folder that fails the checks changes nothing and says why.
 */
export async function selectModel(deps: ModelCommandDeps, folder?: string): Promise<ModelChoiceOutcome> {
  if (folder === undefined) {
    const picked = await pickModel(deps);
    if (picked === undefined) return {};
    folder = picked;
  }
  if (folder === '') return useBundledModel(deps);
  folder = path.resolve(folder);
  const check = checkModelFolder(folder);
  if (!check.ok) {
    deps.log.warn(`Model folder ${folder} refused: ${check.problem}`);
    void vscode.window
      .showErrorMessage(`dLLM: ${folder} is not a model folder this extension can load: ${check.problem}.`, 'Choose Another…')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('dllm.selectModel');
      });
    return { problem: check.problem };
  }
  await deps.recentModels.add(folder);
  deps.log.info(`Model chosen: ${describeModel(check)} in ${folder}.`);
  await switchTo(deps, folder);
  return { modelPath: folder };
}

export async function useBundledModel(deps: ModelCommandDeps): Promise<ModelChoiceOutcome> {
  deps.log.info(`Model chosen: the bundled ${BUNDLED_MODEL}.`);
  await switchTo(deps, '');
  return { modelPath: '' };
}

/** Writes the setting (its change restarts a running engine), or restarts when it is already set. */
async function switchTo(deps: ModelCommandDeps, folder: string): Promise<void> {
  if (deps.config.engine.modelPath === folder) {
    if (deps.host.state.kind !== 'stopped') await deps.host.restart('the model in use was chosen again');
  } else {
    await deps.config.setModelPath(folder);
  }
  // Load it now: the user will want to see it work, and a model that does not load should say so at once.
  deps.host.start();
}

async function pickModel(deps: ModelCommandDeps): Promise<string | undefined> {
  const current = deps.config.engine.modelPath;
  const inUse = (folder: string): string | undefined => (folder === current ? 'in use' : undefined);
  const items: PickItem[] = [
    { label: `$(package) Bundled model`, description: BUNDLED_MODEL, detail: inUse(''), folder: '' },
  ];
  const recent = deps.recentModels.list();
  if (recent.length > 0) {
    items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator });
    for (const f of recent) items.push({ label: `$(folder) ${path.basename(f)}`, description: f, detail: inUse(f), folder: f });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(folder-opened) Browse for a model folder…', description: 'a folder holding dllm.json', browse: true });
  items.push({ label: '$(cloud-download) Add a model from Hugging Face…', description: 'download, convert and use a published model', command: 'dllm.addModel' });
  items.push({ label: '$(sync) Convert a Hugging Face checkpoint…', description: 'Dream, Dream-Coder, DiffuCoder, Open-dCoder, LLaDA', command: 'dllm.convertCheckpoint' });
  items.push({ label: '$(trash) Remove…', description: 'a converted model or unfinished downloads', command: 'dllm.removeModel' });
  const picked = await vscode.window.showQuickPick(items, { title: 'dLLM: Select Model', placeHolder: 'The model to complete with' });
  if (!picked) return undefined;
  if (picked.command) {
    // Adding or converting selects its model when it is done.
    void vscode.commands.executeCommand(picked.command);
    return undefined;
  }
  if (!picked.browse) return picked.folder;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Use This Model',
    title: 'Select a model folder (holding dllm.json, tokenizer.json and the ONNX graphs)',
    defaultUri: current ? vscode.Uri.file(path.dirname(current)) : undefined,
  });
  return chosen?.[0]?.fsPath;
}
