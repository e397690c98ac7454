/**
 * The `dllm.*` settings as typed values, sanitised before they reach requests or the child's
 * start-up. No `vscode` import: `config.ts` feeds it VS Code's values, the unit tests feed it
 * plain objects. Defaults live only in package.json; a value of the wrong type or out of range
 * falls back to the default or is clamped, and the problem is reported.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { deviceSettings, remaskModes, samplerKinds, type DeviceSetting, type SamplerKind, type SamplerOptions } from '../protocol/protocol';

export interface InlineSettings {
  enabled: boolean;
  languages: Record<string, boolean>;
  debounceMs: number;
  stepBudget: number;
  maxTokens: number;
  /** Canvas length when the user asks for a suggestion (a manual trigger): room for several lines. */
  manualMaxTokens: number;
}

export interface CommandSettings {
  stepBudget: number;
  maxTokens: number;
}

export interface EngineSettings {
  device: DeviceSetting;
  /** Absolute model folder, or '' for the bundled model. */
  modelPath: string;
  /** 0 = the engine chooses. */
  threads: number;
  /** Memory for documents' cached contexts; 0 = none. */
  contextCacheMiB: number;
  /** A model with a cached mode refreshes its context every this many passes; 0 = exact mode. */
  cachedRefreshEvery: number;
  /** Minutes without a request before the engine is unloaded; 0 = never. */
  idleUnloadMinutes: number;
}

export interface Settings {
  inline: InlineSettings;
  command: CommandSettings;
  sampler: SamplerOptions;
  engine: EngineSettings;
}

/** A setting's value as the user has it and as package.json declares its default. */
export interface RawSetting {
  value: unknown;
  defaultValue: unknown;
}

/** Reads one `dllm.`-relative key, e.g. `inline.debounceMs`. */
export type SettingReader = (key: string) => RawSetting;

/** Ranges as package.json declares them (a unit test keeps the two in step). */
export const numericLimits = {
  'inline.debounceMs': { min: 0, max: 2000, integer: true },
  'inline.stepBudget': { min: 1, max: 128, integer: true },
  'inline.maxTokens': { min: 4, max: 128, integer: true },
  'inline.manualMaxTokens': { min: 4, max: 512, integer: true },
  'command.stepBudget': { min: 1, max: 512, integer: true },
  'command.maxTokens': { min: 8, max: 512, integer: true },
  'sampler.minPerStep': { min: 1, max: 64, integer: true },
  'sampler.remaskDivisor': { min: 1, max: 64, integer: false },
  'sampler.threshold': { min: 0, max: 1, integer: false },
  'sampler.temperature': { min: 0, max: 2, integer: false },
  threads: { min: 0, max: 256, integer: true },
  contextCacheMiB: { min: 0, max: 4096, integer: true },
  cachedRefreshEvery: { min: 0, max: 64, integer: true },
  idleUnloadMinutes: { min: 0, max: 1440, integer: false },
} as const;

/** The protocol's value lists behind the enum settings (a unit test holds package.json to them). */
export const enumValues = {
  'sampler.kind': samplerKinds,
  'sampler.remask': remaskModes,
  device: deviceSettings,
} as const satisfies Record<string, readonly string[]>;

/** Keys whose change needs the engine restarted (they shape the child's start-up). */
export const engineRestartKeys = ['device', 'modelPath', 'threads', 'contextCacheMiB', 'cachedRefreshEvery'] as const;

/** What VS Code's `inspect()` reports of a setting, the parts that matter here. */
export interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
}

/**
 * The value in force for `key` (full name, `dllm.modelPath`): `value` as VS Code resolved it,
 * except that in an untrusted workspace a restricted setting (package.json's
 * `restrictedConfigurations`) takes only the user's value or the default. VS Code already leaves
 * such workspace values out there; this keeps the rule whatever the host does.
 */
export function trustedValue(
  key: string,
  value: unknown,
  inspected: InspectedSetting | undefined,
  trust: { trusted: boolean; restricted: readonly string[] },
): unknown {
  if (trust.trusted || !trust.restricted.includes(key)) return value;
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export type NumericKey = keyof typeof numericLimits;
export type EnumKey = keyof typeof enumValues;

export class SettingsReader {
  /** Problems found while reading, e.g. "dllm.inline.debounceMs: 99999 is above 2000; using 2000". */
  readonly problems: string[] = [];

  constructor(private readonly read: SettingReader) {}

  number(key: NumericKey): number {
    const { min, max, integer } = numericLimits[key];
    const { value, defaultValue } = this.read(key);
    const fallback = typeof defaultValue === 'number' ? defaultValue : min;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      if (value !== undefined) this.problem(key, `${JSON.stringify(value)} is not a number; using ${fallback}`);
      return fallback;
    }
    let n = integer ? Math.round(value) : value;
    if (n < min || n > max) {
      const clamped = Math.min(max, Math.max(min, n));
      this.problem(key, `${value} is outside ${min}…${max}; using ${clamped}`);
      n = clamped;
    }
    return n;
  }

  boolean(key: string): boolean {
    const { value, defaultValue } = this.read(key);
    if (typeof value === 'boolean') return value;
    if (value !== undefined) this.problem(key, `${JSON.stringify(value)} is not true or false`);
    return defaultValue === true;
  }

  oneOf<K extends EnumKey>(key: K): (typeof enumValues)[K][number] {
    const allowed: readonly string[] = enumValues[key];
    const { value, defaultValue } = this.read(key);
    if (typeof value === 'string' && allowed.includes(value)) return value as (typeof enumValues)[K][number];
    const fallback = typeof defaultValue === 'string' && allowed.includes(defaultValue) ? defaultValue : allowed[0];
    if (value !== undefined) this.problem(key, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}; using ${fallback}`);
    return fallback as (typeof enumValues)[K][number];
  }

  booleanMap(key: string): Record<string, boolean> {
    const { value, defaultValue } = this.read(key);
    const source = isPlainObject(value) ? value : isPlainObject(defaultValue) ? defaultValue : {};
    if (value !== undefined && !isPlainObject(value)) this.problem(key, 'expected an object of language ids to true/false');
    const map: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(source)) {
      if (typeof v === 'boolean') map[k] = v;
      else this.problem(key, `"${k}" must be true or false`);
    }
    return map;
  }

  string(key: string): string {
    const { value, defaultValue } = this.read(key);
    if (typeof value === 'string') return value;
    if (value !== undefined) this.problem(key, `${JSON.stringify(value)} is not a string`);
    return typeof defaultValue === 'string' ? defaultValue : '';
  }

  /**
   * An absolute folder with `~` expanded, or '' when unset. A relative path is refused and reported:
   * it would be resolved against whatever folder the child happens to run in, not one the user
   * chose. `emptyMeans` says what '' stands for, e.g. "the bundled model".
   */
  absoluteFolder(key: string, emptyMeans: string, home = os.homedir()): string {
    const raw = this.string(key);
    const folder = normalizeModelPath(raw, home);
    if (folder === '' || path.isAbsolute(folder)) return folder;
    this.problem(key, `must be an absolute folder path (or start with ~/); ${JSON.stringify(raw.trim())} is relative. Using ${emptyMeans}.`);
    return '';
  }

  private problem(key: string, message: string): void {
    this.problems.push(`dllm.${key}: ${message}`);
  }
}

/** Every `dllm.*` setting, sanitised. */
export function readSettings(read: SettingReader, home = os.homedir()): { settings: Settings; problems: string[] } {
  const r = new SettingsReader(read);
  const kind: SamplerKind = r.oneOf('sampler.kind');
  const settings: Settings = {
    inline: {
      enabled: r.boolean('inline.enabled'),
      languages: r.booleanMap('inline.languages'),
      debounceMs: r.number('inline.debounceMs'),
      stepBudget: r.number('inline.stepBudget'),
      maxTokens: r.number('inline.maxTokens'),
      manualMaxTokens: r.number('inline.manualMaxTokens'),
    },
    command: {
      stepBudget: r.number('command.stepBudget'),
      maxTokens: r.number('command.maxTokens'),
    },
    sampler: {
      kind,
      minPerStep: r.number('sampler.minPerStep'),
      remaskDivisor: r.number('sampler.remaskDivisor'),
      remask: r.oneOf('sampler.remask'),
      threshold: r.number('sampler.threshold'),
      temperature: r.number('sampler.temperature'),
    },
    engine: {
      device: r.oneOf('device'),
      modelPath: r.absoluteFolder('modelPath', 'the bundled model', home),
      threads: r.number('threads'),
      contextCacheMiB: r.number('contextCacheMiB'),
      cachedRefreshEvery: r.number('cachedRefreshEvery'),
      idleUnloadMinutes: r.number('idleUnloadMinutes'),
    },
  };
  return { settings, problems: r.problems };
}

/** `~` expanded, surrounding space trimmed; '' stays '' (the bundled model). */
export function normalizeModelPath(raw: string, home = os.homedir()): string {
  const trimmed = raw.trim();
  if (trimmed === '') return '';
  if (trimmed === '~') return home;
  if (trimmed.startsWith('~/') || trimmed.startsWith('~\\')) return path.join(home, trimmed.slice(2));
  return trimmed;
}

/** The per-language switch: the language's own entry, else `*`, else on. */
export function isLanguageEnabled(languages: Record<string, boolean>, languageId: string): boolean {
  return languages[languageId] ?? languages['*'] ?? true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
