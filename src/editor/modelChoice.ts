/**
 * Choosing a model folder: the recently used folders, and how a model is named to the user. The
 * checks a folder passes before the engine is switched to it are the model folder's own
 * (src/modelFolder/check.ts). No `vscode` import: modelCommands.ts puts a UI on it, the unit tests
 * use it directly.
 */
import * as path from 'node:path';
import type { GraphContract } from '../modelFolder/manifest';
import type { KeyValueStore } from './inlineGate';

const recentKey = 'dllm.recentModels';

/** Model folders used lately, newest first, kept in the extension's global state. */
export class RecentModels {
  constructor(
    private readonly store: KeyValueStore,
    readonly max = 5,
  ) {}

  list(): string[] {
    const value = this.store.get<unknown>(recentKey);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }

  async add(folder: string): Promise<void> {
    const rest = this.list().filter((f) => !samePath(f, folder));
    await this.store.update(recentKey, [folder, ...rest].slice(0, this.max));
  }

  async remove(folder: string): Promise<void> {
    await this.store.update(recentKey, this.list().filter((f) => !samePath(f, folder)));
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/**
 * `dllm-code-tiny (22 MB, split contract)`: how the status tooltip, statistics and log name a model;
 * a model running its cached mode adds it, e.g. `…, full contract, cached, refreshed every 4 passes)`.
 */
export function describeModel(model: { name: string; sizeBytes: number; contract: GraphContract; family?: string; cachedRefreshEvery?: number }): string {
  const family = model.family === undefined ? '' : `${model.family} family, `;
  const k = model.cachedRefreshEvery;
  const mode = k === undefined ? '' : `, cached, refreshed every ${k === 1 ? 'pass' : `${k} passes`}`;
  return `${model.name} (${formatBytes(model.sizeBytes)}, ${family}${model.contract} contract${mode})`;
}

/** `21.7 MB`: sizes as the file manager shows them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
