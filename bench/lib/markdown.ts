/** Markdown tables and number formatting shared by the eval and bench reports. */

/** A GitHub-flavoured Markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+[%x]?$|^n\/a$/.test(r[c] ?? '')));
  const widths = header.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => (r[c] ?? '').length)));
  const cell = (text: string, c: number) => (numeric[c] ? text.padStart(widths[c] ?? 0) : text.padEnd(widths[c] ?? 0));
  const line = (cells: readonly string[]) => `| ${cells.map((t, c) => cell(t, c)).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (numeric[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Fixed decimals, `n/a` for NaN or missing values. */
export function fmt(value: number | undefined, decimals = 1): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(decimals);
}

export function pct(fraction: number | undefined, decimals = 1): string {
  return fraction === undefined || !Number.isFinite(fraction) ? 'n/a' : `${(fraction * 100).toFixed(decimals)}%`;
}
