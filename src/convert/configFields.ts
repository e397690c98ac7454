/**
 * Typed reads of a checkpoint's config.json: each family reads its keys through here, so a
 * missing or mistyped value is refused with the key's name instead of becoming NaN in a shape.
 */
import { ConvertError } from './errors';

export type Json = Record<string, unknown>;

export class ConfigFields {
  constructor(
    private readonly json: Json,
    private readonly file = 'config.json',
  ) {}

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  /** A positive integer; `fallback` is the modelling code's default when the key is absent. */
  int(key: string, fallback?: number): number {
    const v = this.value(key, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(key, v, 'a positive integer');
    return v;
  }

  positive(key: string, fallback?: number): number {
    const v = this.value(key, fallback);
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(key, v, 'a positive number');
    return v;
  }

  bool(key: string, fallback?: boolean): boolean {
    const v = this.value(key, fallback);
    if (typeof v !== 'boolean') this.fail(key, v, 'true or false');
    return v;
  }

  str(key: string, fallback?: string): string {
    const v = this.value(key, fallback);
    if (typeof v !== 'string') this.fail(key, v, 'a string');
    return v;
  }

  /**
   * Refuses a feature the graph does not implement: the key's value (or, when absent, the modelling
   * code's default `fallback`) must be one of `allowed`.
   */
  expect(key: string, allowed: readonly unknown[], fallback: unknown, feature: string): void {
    const given = this.json[key];
    const v = given === undefined ? fallback : given;
    if (allowed.includes(v)) return;
    const shown = given === undefined ? `absent, so ${JSON.stringify(v)}` : JSON.stringify(v);
    throw new ConvertError(`${this.file} "${key}" is ${shown} (${feature}); the converter supports ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  }

  private value(key: string, fallback: unknown): unknown {
    const v = this.json[key];
    if (v !== undefined && v !== null) return v;
    if (fallback === undefined) throw new ConvertError(`${this.file} has no "${key}"`);
    return fallback;
  }

  private fail(key: string, v: unknown, expected: string): never {
    throw new ConvertError(`${this.file} "${key}" is ${JSON.stringify(v)}, expected ${expected}`);
  }
}
