/** Command-line parsing helpers shared by eval and bench (on top of node:util parseArgs). */
import type { DeviceSetting, SamplerKind } from '../protocol/protocol';

export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export function floatOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

export const samplerKinds: readonly SamplerKind[] = ['saber', 'lowConfidence', 'threshold'];
export const deviceSettings: readonly DeviceSetting[] = ['auto', 'cpu', 'gpu'];

/** Runs `main`, printing an error without a stack trace for the usual mistakes. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
