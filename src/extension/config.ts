/**
 * Typed, live access to the `dllm.*` settings. Values are re-read whenever the configuration
 * changes; listeners learn whether the change needs an engine restart. Defaults live only in
 * package.json (VS Code supplies them); `settings.ts` sanitises what users wrote.
 */
import * as vscode from 'vscode';
import type { DeviceSetting } from '../protocol/protocol';
import type { Log } from './log';
import { engineRestartKeys, isLanguageEnabled, readSettings, type Settings } from './settings';

export const section = 'dllm';

export interface ConfigChange {
  /** device, modelPath, threads or contextCacheMiB changed: the engine must restart. */
  affectsEngine: boolean;
}

export class Config implements vscode.Disposable {
  private current: Settings;
  private readonly emitter = new vscode.EventEmitter<ConfigChange>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: Log) {
    this.current = this.read();
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(section)) return;
      this.current = this.read();
      const affectsEngine = engineRestartKeys.some((k) => e.affectsConfiguration(`${section}.${k}`));
      this.emitter.fire({ affectsEngine });
    });
  }

  get settings(): Settings {
    return this.current;
  }

  get inline(): Settings['inline'] {
    return this.current.inline;
  }

  get command(): Settings['command'] {
    return this.current.command;
  }

  get sampler(): Settings['sampler'] {
    return this.current.sampler;
  }

  get engine(): Settings['engine'] {
    return this.current.engine;
  }

  languageEnabled(languageId: string): boolean {
    return isLanguageEnabled(this.current.inline.languages, languageId);
  }

  async setInlineEnabled(enabled: boolean): Promise<void> {
    const config = vscode.workspace.getConfiguration(section);
    // Write where the value in force comes from: a workspace `false` would otherwise override
    // a toggle written to the user settings, and the toggle would seem to do nothing.
    const target = config.inspect('inline.enabled')?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await config.update('inline.enabled', enabled, target);
  }

  async setDevice(device: DeviceSetting): Promise<void> {
    await vscode.workspace.getConfiguration(section).update('device', device, vscode.ConfigurationTarget.Global);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private read(): Settings {
    const cfg = vscode.workspace.getConfiguration(section);
    const { settings, problems } = readSettings((key) => ({ value: cfg.get(key), defaultValue: cfg.inspect(key)?.defaultValue }));
    for (const p of problems) this.log.warn(`Setting ignored: ${p}`);
    return settings;
  }
}
