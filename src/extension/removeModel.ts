/**
 * "dLLM: Remove a Converted Model…" (also in Select Model…): deletes a model folder the extension
 * made (under its global storage, never anywhere else), or its download cache, after a
 * confirmation. A model in use is swapped for the bundled one first, so the engine never runs on
 * a folder being deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { convertedModels, folderBytes } from '../download/places';
import { useBundledModel, type ModelCommandDeps } from './modelCommands';

export interface RemoveModelDeps extends ModelCommandDeps {
  modelsDir: string;
  downloadsDir: string;
}

/** Tests name the folder and skip the confirmation. */
export interface RemoveModelArgs {
  folder?: string;
  confirmed?: boolean;
}

export interface RemoveModelOutcome {
  removed?: string;
  /** Why nothing was removed, when it was refused. */
  problem?: string;
}

export async function removeModel(deps: RemoveModelDeps, args: RemoveModelArgs = {}): Promise<RemoveModelOutcome> {
  const folder = args.folder === undefined ? await pickFolder(deps) : path.resolve(args.folder);
  if (folder === undefined) return {};
  if (!isInside(folder, deps.modelsDir) && !isInside(folder, deps.downloadsDir) && folder !== deps.downloadsDir) {
    const problem = `${folder} is not a folder the extension made (only those under ${path.dirname(deps.modelsDir)} can be removed here)`;
    void vscode.window.showErrorMessage(`dLLM: ${problem}.`);
    return { problem };
  }
  if (!args.confirmed) {
    const size = (folderBytes(folder) / 1e9).toFixed(2);
    const choice = await vscode.window.showWarningMessage(`Delete ${folder} (${size} GB)?`, { modal: true }, 'Delete');
    if (choice !== 'Delete') return {};
  }
  if (deps.config.engine.modelPath !== '' && path.resolve(deps.config.engine.modelPath) === folder) await useBundledModel(deps);
  await deps.recentModels.remove(folder);
  fs.rmSync(folder, { recursive: true, force: true });
  deps.log.info(`Removed ${folder}.`);
  return { removed: folder };
}

function isInside(folder: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), folder);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

async function pickFolder(deps: RemoveModelDeps): Promise<string | undefined> {
  const current = deps.config.engine.modelPath;
  const items: Array<vscode.QuickPickItem & { folder: string }> = convertedModels(deps.modelsDir).map((folder) => ({
    label: `$(trash) ${path.basename(folder)}`,
    description: `${(folderBytes(folder) / 1e9).toFixed(2)} GB`,
    detail: folder === current ? `${folder} — in use: the bundled model replaces it` : folder,
    folder,
  }));
  if (fs.existsSync(deps.downloadsDir) && fs.readdirSync(deps.downloadsDir).length > 0) {
    items.push({ label: '$(trash) Downloads not yet converted', description: `${(folderBytes(deps.downloadsDir) / 1e9).toFixed(2)} GB`, detail: `${deps.downloadsDir} (partial files a new Add Model… would resume)`, folder: deps.downloadsDir });
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage('dLLM: There is no converted model or download to remove.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'dLLM: Remove a Converted Model', placeHolder: 'Deleted after you confirm' });
  return picked?.folder;
}
