/**
 * Typed, live access to the `dllm.*` settings. Values are re-read whenever the configuration
 * changes; listeners learn whether the change needs an engine restart. Defaults live only in
 * package.json (VS Code supplies them); `settings.ts` sanitises what users wrote.
 */
import * as vscode from 'vscode';
import type { DeviceSetting } from '../protocol/protocol';
import type { Log } from './log';
import { engineRestartKeys, isLanguageEnabled, readSettings, trustedValue, type Settings } from '../editor/settings';

export const section = 'dllm';

export interface ConfigChange {
  /** device, modelPath, threads, contextCacheMiB or cachedRefreshEvery changed: the engine must restart. */
  affectsEngine: boolean;
}

export class Config implements vscode.Disposable {
  private current: Settings;
  private readonly emitter = new vscode.EventEmitter<ConfigChange>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  /**
   * `restricted`: the full names of the settings an untrusted workspace may not set (package.json's
   * `capabilities.untrustedWorkspaces.restrictedConfigurations`, the one list of them).
   */
  constructor(
    private readonly log: Log,
    private readonly restricted: readonly string[] = [],
  ) {
    this.current = this.read();
    this.subscription = vscode.Disposable.from(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(section)) return;
        this.current = this.read();
        const affectsEngine = engineRestartKeys.some((k) => e.affectsConfiguration(`${section}.${k}`));
        this.emitter.fire({ affectsEngine });
      }),
      // Trust granted: the workspace's values of the restricted settings now count.
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        const before = JSON.stringify(this.current.engine);
        this.current = this.read();
        this.emitter.fire({ affectsEngine: JSON.stringify(this.current.engine) !== before });
      }),
    );
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

  /**
   * Why automatic inline completions are off for a language, or undefined when they are on:
   * `dllm.inline.enabled` (which may be set per language, `"[python]": {...}`) and then the
   * `dllm.inline.languages` map.
   */
  inlineOffReason(languageId: string | undefined): string | undefined {
    const scoped = languageId === undefined ? undefined : vscode.workspace.getConfiguration(section, { languageId });
    const value = scoped?.get('inline.enabled');
    const enabled = typeof value === 'boolean' ? value : this.current.inline.enabled;
    if (!enabled) {
      return scoped && hasLanguageValue(scoped.inspect('inline.enabled'))
        ? `off for language "${languageId}" ([${languageId}] dllm.inline.enabled)`
        : 'inline completions are off (dllm.inline.enabled)';
    }
    if (languageId !== undefined && !isLanguageEnabled(this.current.inline.languages, languageId)) {
      return `off for language "${languageId}" (dllm.inline.languages)`;
    }
    return undefined;
  }

  /**
   * Turns automatic inline completions on or off for one language. Off writes the language into
   * `dllm.inline.languages`, where the per-language choices are listed; on also lifts a
   * `[language]` `dllm.inline.enabled: false`, or the global switch for this language alone.
   */
  async setLanguageEnabled(languageId: string, on: boolean): Promise<void> {
    const config = vscode.workspace.getConfiguration(section);
    if (!on || !isLanguageEnabled(this.current.inline.languages, languageId)) {
      const info = config.inspect<Record<string, boolean>>('inline.languages');
      const inWorkspace = info?.workspaceValue !== undefined;
      const own = (inWorkspace ? info?.workspaceValue : info?.globalValue) ?? info?.defaultValue ?? {};
      await config.update('inline.languages', { ...own, [languageId]: on }, inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    }
    if (!on) return;
    const scoped = vscode.workspace.getConfiguration(section, { languageId });
    if (scoped.get('inline.enabled') !== false) return;
    const info = scoped.inspect<boolean>('inline.enabled');
    const target = info?.workspaceLanguageValue === false ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await scoped.update('inline.enabled', true, target, true);
  }

  /** '' or undefined: the bundled model. */
  async setModelPath(folder: string | undefined): Promise<void> {
    await this.write('modelPath', folder || undefined);
  }

  async setInlineEnabled(enabled: boolean): Promise<void> {
    await this.write('inline.enabled', enabled);
  }

  async setDevice(device: DeviceSetting): Promise<void> {
    await this.write('device', device);
  }

  /**
   * Writes where the value in force comes from: a (trusted) workspace's value would otherwise
   * override one written to the user settings, and the choice would seem to do nothing.
   */
  private async write(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration(section);
    const inWorkspace = config.inspect(key)?.workspaceValue !== undefined && (vscode.workspace.isTrusted || !this.restricted.includes(`${section}.${key}`));
    await config.update(key, value, inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private read(): Settings {
    const cfg = vscode.workspace.getConfiguration(section);
    const trust = { trusted: vscode.workspace.isTrusted, restricted: this.restricted };
    const { settings, problems } = readSettings((key) => {
      const inspected = cfg.inspect(key);
      return { value: trustedValue(`${section}.${key}`, cfg.get(key), inspected, trust), defaultValue: inspected?.defaultValue };
    });
    for (const p of problems) this.log.warn(`Setting ignored: ${p}`);
    return settings;
  }
}

/** Whether a language-overridable setting has a value for the language at some level. */
function hasLanguageValue(info: { globalLanguageValue?: unknown; workspaceLanguageValue?: unknown; workspaceFolderLanguageValue?: unknown } | undefined): boolean {
  return info?.globalLanguageValue !== undefined || info?.workspaceLanguageValue !== undefined || info?.workspaceFolderLanguageValue !== undefined;
}
