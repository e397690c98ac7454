/**
 * JSON in a model folder: why a file is not JSON (without quoting it), and typed readers of an
 * object's fields that fail with a reason naming the field.
 */

/**
 * Why JSON.parse failed on `text`, without the snippet of the input that V8 quotes in its message:
 * the file may hold something that must not end up in a log or a notification.
 */
export function jsonSyntaxProblem(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : '';
  const at = /at position (\d+)/.exec(message)?.[1] ?? firstNonJsonCharacter(text);
  if (at !== undefined) return `not valid JSON (at position ${at})`;
  if (message.includes('Unexpected end of JSON input')) return 'not valid JSON (it ends too early)';
  return 'not valid JSON';
}

/** Where V8 gives no position, the common case of a file that is not JSON at all still gets one. */
function firstNonJsonCharacter(text: string): string | undefined {
  const start = text.search(/\S/);
  return start >= 0 && !/[[{"\-0-9tfn]/.test(text[start]!) ? String(start) : undefined;
}

export type Fail = (reason: string) => never;

export function asObject(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (v === undefined) fail(`missing required field ${what}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

export function str(o: Record<string, unknown>, key: string, fail: Fail): string {
  const v = o[key];
  if (v === undefined) fail(`missing required field "${key}"`);
  if (typeof v !== 'string' || v.length === 0) fail(`"${key}" must be a non-empty string`);
  return v;
}

export function optStr(o: Record<string, unknown>, key: string, fail: Fail): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(`"${key}" must be a string`);
  return v;
}

export function int(o: Record<string, unknown>, key: string, fail: Fail, min: number, prefix = ''): number {
  const v = o[key];
  if (v === undefined) fail(`missing required field "${prefix}${key}"`);
  if (!Number.isInteger(v) || (v as number) < min) fail(`"${prefix}${key}" must be an integer >= ${min}`);
  return v as number;
}
