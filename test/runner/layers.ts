/**
 * The layers `npm test` runs, in order, each through its own npm script, and how each one's output
 * is counted: mocha's closing summary, Python unittest's `Ran N tests` / `FAILED (…)`, the VS Code
 * harness's own tally, or the exit code as one check. Pure: test/run-all.ts runs the processes.
 */

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export type Counter = 'exit' | 'mocha' | 'pipeline' | 'reference' | 'vscode';

export interface Layer {
  name: string;
  /** The npm script that runs it alone. */
  script: string;
  counter: Counter;
}

export const layers: readonly Layer[] = [
  { name: 'lint', script: 'lint', counter: 'exit' },
  { name: 'typecheck', script: 'typecheck', counter: 'exit' },
  { name: 'unit', script: 'test:unit', counter: 'mocha' },
  { name: 'integration', script: 'test:integration', counter: 'mocha' },
  { name: 'convert', script: 'test:convert', counter: 'reference' },
  { name: 'model-pipeline', script: 'test:model-pipeline', counter: 'pipeline' },
  { name: 'package', script: 'test:package', counter: 'mocha' },
  { name: 'vscode-server', script: 'test:vscode-server', counter: 'vscode' },
];

/** The layers named on the command line, in the order above; all of them when none is named. */
export function selectLayers(names: readonly string[]): Layer[] {
  const unknown = names.filter((n) => !layers.some((l) => l.name === n));
  if (unknown.length > 0) throw new Error(`no layer ${unknown.join(', ')}; the layers are ${layers.map((l) => l.name).join(', ')}`);
  return names.length === 0 ? [...layers] : layers.filter((l) => names.includes(l.name));
}

export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** The last match of `pattern`'s first group as a number, 0 when there is none. */
function last(text: string, pattern: RegExp): number {
  let value = 0;
  for (const m of text.matchAll(new RegExp(pattern.source, 'gm'))) value = Number(m[1]);
  return value;
}

/** Mocha's spec reporter ends with `N passing (…)`, then `N pending` and `N failing` where not 0. */
export function mochaTally(output: string): Tally {
  return { passed: last(output, /^\s*(\d+) passing\b/), failed: last(output, /^\s*(\d+) failing\b/), skipped: last(output, /^\s*(\d+) pending\b/) };
}

/** Python unittest: `Ran N tests`, then `OK`, `OK (skipped=K)` or `FAILED (failures=F, errors=E, skipped=K)`. */
export function unittestTally(output: string): Tally {
  const ran = last(output, /^Ran (\d+) tests?\b/);
  const failed = last(output, /^FAILED \(.*\bfailures=(\d+)/) + last(output, /^(?:FAILED|OK) \(.*\berrors=(\d+)/);
  const skipped = last(output, /^(?:FAILED|OK) \(.*\bskipped=(\d+)/);
  return { passed: Math.max(0, ran - failed - skipped), failed, skipped };
}

/** The VS Code harness (test/vscode/harness/run-server-tests.ts) closes with `vscode: N passed, N failed[, N pending]`. */
export function vscodeTally(output: string): Tally {
  return {
    passed: last(output, /^vscode: (\d+) passed, \d+ failed/),
    failed: last(output, /^vscode: \d+ passed, (\d+) failed/),
    skipped: last(output, /^vscode: \d+ passed, \d+ failed, (\d+) pending/),
  };
}

/**
 * One layer's count from its output and exit code. Lint and type-check are one check each. The
 * model pipeline is its unit tests plus one check for the end-to-end smoke run that follows them;
 * the converter's layer is the reference's Python self-tests plus the parity tests (mocha).
 * A layer that failed without a counted failure (it crashed, or a build step before its tests
 * failed) counts one failure, so a failure is never lost.
 */
export function tallyOf(counter: Counter, output: string, exitCode: number): Tally {
  const text = stripAnsi(output).replace(/\r/g, '\n');
  let tally: Tally;
  if (counter === 'exit') tally = { passed: exitCode === 0 ? 1 : 0, failed: exitCode === 0 ? 0 : 1, skipped: 0 };
  else if (counter === 'mocha') tally = mochaTally(text);
  else if (counter === 'vscode') tally = vscodeTally(text);
  else if (counter === 'reference') tally = plus(unittestTally(text), mochaTally(text));
  else {
    const tests = unittestTally(text);
    tally = { ...tests, passed: tests.passed + (exitCode === 0 ? 1 : 0), failed: tests.failed + (exitCode === 0 ? 0 : 1) };
  }
  if (exitCode !== 0 && tally.failed === 0) tally = { ...tally, failed: 1 };
  return tally;
}

function plus(a: Tally, b: Tally): Tally {
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped };
}

/** The closing line, the only one of its shape in `npm test`'s output: `N passed, N failed[, N skipped]`. */
export function closingLine(total: Tally): string {
  return `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`;
}

export interface LayerResult {
  layer: Layer;
  /** Absent for a layer not run (after --bail stopped the run, or after an interrupt). */
  tally?: Tally;
  exitCode?: number;
  seconds?: number;
}

export function sum(results: readonly LayerResult[]): Tally {
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const { tally } of results) {
    if (!tally) continue;
    total.passed += tally.passed;
    total.failed += tally.failed;
    total.skipped += tally.skipped;
  }
  return total;
}

/** The per-layer table printed before the closing line. */
export function summaryTable(results: readonly LayerResult[]): string[] {
  const header = ['layer', 'passed', 'failed', 'skipped', 'time', ''];
  const rows = [header];
  for (const r of results) {
    if (!r.tally) {
      rows.push([r.layer.name, '-', '-', '-', '-', 'not run']);
      continue;
    }
    const status = r.tally.failed > 0 ? `FAILED (exit ${r.exitCode})` : 'ok';
    rows.push([r.layer.name, `${r.tally.passed}`, `${r.tally.failed}`, `${r.tally.skipped}`, `${Math.round(r.seconds ?? 0)} s`, status]);
  }
  const total = sum(results);
  rows.push(['total', `${total.passed}`, `${total.failed}`, `${total.skipped}`, `${Math.round(results.reduce((s, r) => s + (r.seconds ?? 0), 0))} s`, '']);
  // Every row has the header's six cells.
  const widths = header.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}
