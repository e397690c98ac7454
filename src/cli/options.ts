/** Command-line option checks shared by `npm run complete`, `npm run convert`, eval and bench (on top of node:util parseArgs). */
import * as path from 'path';
import type { ParseArgsConfig } from 'util';
import { errorMessage } from '../base/errorText';
import { maxCachedRefreshEvery } from '../protocol/cachedMode';
import { deviceSettings, requestLimits, type DeviceSetting } from '../protocol/protocol';

/** A mistake on the command line: the tools print it with a hint instead of a stack trace. */
export class UsageError extends Error {}

/**
 * How `npm run <tool>` ends on an error, printed on stderr: a usage mistake (parseArgs' own
 * included) says how to get help, exit 2; a refusal the tool knows is its one line, exit 1;
 * anything else is a bug, shown with its stack, exit 1.
 */
export function failureExit(tool: string, error: unknown, isRefusal: (error: unknown) => error is Error): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`${tool}: ${error.message}\nTry: npm run ${tool} -- --help`);
    return 2;
  }
  if (isRefusal(error)) {
    console.error(`${tool}: ${error.message}`);
    return 1;
  }
  console.error(`${tool}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
}

/** Where relative paths start: npm runs scripts in the package root and names the caller's directory in INIT_CWD. */
export function callerDirectory(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.INIT_CWD || cwd;
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 1, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max < Infinity ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new UsageError(`--${name} must be ${range}, got "${value}"`);
  }
  return n;
}

export function floatOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** `--model`, `--device`, `--threads` and `--refresh-every`: the engine choice that complete, eval and bench share. */
export const engineOptionSpecs = {
  model: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  'refresh-every': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface EngineChoice {
  /** Model folder; absent = the bundled model. */
  modelDir?: string;
  device: DeviceSetting;
  /** CPU intra-op threads; absent = the engine's choice. */
  threads?: number;
  /** A cached-mode model's passes between refreshes; 0 = exact mode; absent = the engine's default. */
  cachedRefreshEvery?: number;
}

/** Reads the engine choice; a relative `--model` folder is taken from `base`. */
export function engineChoice(values: { model?: string; device?: string; threads?: string; 'refresh-every'?: string }, base = process.cwd()): EngineChoice {
  const refresh = values['refresh-every'];
  return {
    modelDir: values.model === undefined ? undefined : path.resolve(base, values.model),
    device: oneOf(values.device, 'device', deviceSettings, 'auto'),
    threads: values.threads === undefined ? undefined : intOption(values.threads, 'threads', 0, 1, requestLimits.threads),
    ...(refresh === undefined ? {} : { cachedRefreshEvery: intOption(refresh, 'refresh-every', 0, 0, maxCachedRefreshEvery) }),
  };
}

/** Runs `main` (synchronous or not), printing an error without a stack trace for the usual mistakes. */
export function runMain(main: () => void | Promise<void>): void {
  new Promise<void>((resolve) => resolve(main())).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
}
