/**
 * `npm run bench:holes`: five hand-written everyday holes (bench/lib/holes.ts) completed in a
 * real VS Code at the extension's default settings. For each: the file is written into a fresh
 * workspace and opened, the cursor put at the hole, an inline suggestion asked for
 * (`dLLM: Trigger Inline Completion`, Ctrl+Alt+\), the ghost text waited for and read, judged
 * against the expected text, and the editor photographed. Writes holes.md (the table) and
 * holes-<n>-<name>.png. Not a test: a model that shows nothing is a result, not a failure.
 *
 *   npm run bench:holes -- [--model DIR] [--out DIR] [--timeout-ms 20000]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { intOption, runMain } from '../src/cli/options';
import { extensionPath, openWorkbench, quietEditorSettings, repoRoot, sleep, startServer } from '../test/vscode/harness/harness';
import { ghostText, openFile, runCommand, statusBarItems, waitForEngineReady, waitForExtension, waitForGhostText } from '../test/vscode/e2e/workbench';
import { correctnessRule, holeCursor, holes, isCorrect, type Hole } from './lib/holes';
import { markdownTable } from './lib/markdown';

const usage = `npm run bench:holes -- [options]
  --model DIR        a model folder to use instead of the bundled one (written to dllm.modelPath)
  --out DIR          where holes.md and the screenshots go (default bench/results)
  --timeout-ms N     how long to wait for ghost text per hole (default 20000)`;

interface Outcome {
  hole: Hole;
  /** The ghost text shown; undefined when none appeared within the timeout. */
  ghost: string | undefined;
  ms: number | undefined;
  /** Why nothing was shown, as the extension's log says it. */
  reason: string | undefined;
  screenshot: string;
}

/** The workspace: the quiet editor settings, no dllm.* overrides but the model folder. */
function createBenchWorkspace(modelDir: string | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-holes-'));
  fs.mkdirSync(path.join(dir, '.vscode'));
  const settings = { ...quietEditorSettings(), ...(modelDir ? { 'dllm.modelPath': modelDir } : {}) };
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(path.join(dir, 'warmup.py'), 'def add(a, b):\n    return a + b\n');
  return dir;
}

/** Moves the cursor to 1-based `line`:`column` with the arrow keys and checks the status bar says so. */
async function putCursor(page: Page, line: number, column: number): Promise<void> {
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
  for (let i = 1; i < column; i++) await page.keyboard.press('ArrowRight');
  const want = `Ln ${line}, Col ${column}`;
  const deadline = Date.now() + 5_000;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await statusBarItems(page)).find((i) => i.id === 'status.editor.selection')?.text ?? '';
    if (seen === want) return;
    await sleep(100);
  }
  throw new Error(`the cursor is not at ${want} (status bar: "${seen}")`);
}

/** The extension's log file (its log output channel), somewhere under the server's data folder. */
function extensionLog(dataDir: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('dLLM Complete.log')) found.push(file);
    }
  };
  try {
    walk(dataDir);
  } catch {
    return '';
  }
  return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

/** The last "nothing shown" reason the log gives for an inline request at the hole's cursor. */
function nothingShownReason(log: string, hole: Hole): string | undefined {
  const { line, column } = holeCursor(hole);
  const marker = ` ${hole.language} ${line}:${column}: nothing shown — `;
  const hit = log.split('\n').filter((l) => l.includes(marker)).pop();
  // The line ends with the provider's own time, " (N ms)": the reason alone.
  return hit?.slice(hit.indexOf(marker) + marker.length).trim().replace(/ \(\d+ ms\)$/, '');
}

async function completeHole(page: Page, workspace: string, hole: Hole, index: number, outDir: string, timeoutMs: number, dataDir: string): Promise<Outcome> {
  fs.writeFileSync(path.join(workspace, hole.file), hole.before + hole.after);
  await runCommand(page, 'View: Close All Editors');
  await openFile(page, hole.file);
  const { line, column } = holeCursor(hole);
  await putCursor(page, line, column);
  const asked = Date.now();
  await page.keyboard.press('Control+Alt+Backslash');
  let ghost: string | undefined;
  let ms: number | undefined;
  try {
    await waitForGhostText(page, timeoutMs);
    ms = Date.now() - asked;
    // The lines below the cursor's are drawn a moment after the inline part.
    await sleep(500);
    ghost = await waitForGhostText(page, 1_000);
  } catch {
    ghost = undefined;
  }
  const screenshot = path.join(outDir, `holes-${index + 1}-${hole.name}.png`);
  await page.locator('.part.editor').screenshot({ path: screenshot });
  const reason = ghost === undefined ? nothingShownReason(extensionLog(dataDir), hole) : undefined;
  await page.keyboard.press('Escape');
  await ghostText(page).first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
  return { hole, ghost, ms, reason, screenshot };
}

/** Text in a Markdown table cell: a code span, line ends shown as ⏎, pipes escaped. */
function code(text: string): string {
  const one = text.replace(/\n/g, '⏎').replace(/\|/g, '\\|');
  return one.includes('`') ? `\`\` ${one} \`\`` : `\`${one}\``;
}

function report(outcomes: Outcome[], model: string, timeoutMs: number, date: string): string {
  const rows = outcomes.map((o, i) => [
    String(i + 1),
    o.hole.title,
    o.hole.language,
    code(o.hole.expected),
    o.ghost === undefined ? 'no completion' : o.ghost === '' ? '(empty)' : code(o.ghost),
    isCorrect(o.ghost, o.hole.expected) ? 'yes' : 'no',
    o.ms === undefined ? '—' : String(o.ms),
    `[png](${path.basename(o.screenshot)})`,
  ]);
  const notes = outcomes
    .map((o, i) => (o.reason ? `- ${i + 1} (${o.hole.title}): the extension showed nothing — ${o.reason.replace(/\|/g, '\\|')}` : ''))
    .filter(Boolean);
  const correct = outcomes.filter((o) => isCorrect(o.ghost, o.hole.expected)).length;
  return [
    '# Everyday holes in a real editor',
    '',
    `- Model folder: ${model}`,
    `- Date: ${date}`,
    `- Settings: the extension's defaults (no \`dllm.*\` setting but \`dllm.modelPath\` when a model is given); suggestions asked for with \`dLLM: Trigger Inline Completion\` (Ctrl+Alt+\\\\), so the manual canvas applies.`,
    `- Ghost text waited for up to ${timeoutMs} ms; none in that time = "no completion". Time = from the key press to the ghost text on screen (the engine was started by a warm-up request before).`,
    `- Rule: ${correctnessRule}.`,
    `- Correct: ${correct} of ${outcomes.length}.`,
    '',
    markdownTable(['#', 'hole', 'language', 'expected', 'ghost text shown', 'correct', 'time to ghost text (ms)', 'screenshot'], rows),
    '',
    ...(notes.length ? ['Why nothing was shown (from the extension\'s log):', '', ...notes, ''] : []),
    'Regenerate: `npm run bench:holes` (bench/README.md).',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, out: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const modelDir = values.model === undefined ? undefined : path.resolve(values.model);
  if (modelDir && !fs.statSync(modelDir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--model: ${modelDir} is not a folder`);
  const outDir = path.resolve(values.out ?? path.join(repoRoot, 'bench', 'results'));
  const timeoutMs = intOption(values['timeout-ms'], 'timeout-ms', 20_000, 1_000);
  fs.mkdirSync(outDir, { recursive: true });
  const model = modelDir ?? 'the bundled one (models/dllm-code-tiny)';
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const workspace = createBenchWorkspace(modelDir);
  const server = await startServer({ label: 'bench-holes', userSettings: quietEditorSettings() });
  const workbench = await openWorkbench(server.url(workspace, [['extensionDevelopmentPath', server.remoteUri(extensionPath)]]));
  const { page } = workbench;
  try {
    await page.setViewportSize({ width: 1000, height: 600 });
    await waitForExtension(page);
    // The side bar off: the editor gets the width. Then a first request starts the engine, so the
    // times below are the model's, not its start-up.
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'warmup.py');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Control+Alt+Backslash');
    await waitForEngineReady(page, 180_000);
    await ghostText(page).first().waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => undefined);
    await page.keyboard.press('Escape');
    console.log(`model: ${model}`);

    const outcomes: Outcome[] = [];
    for (const [i, hole] of holes.entries()) {
      const o = await completeHole(page, workspace, hole, i, outDir, timeoutMs, server.dataDir);
      outcomes.push(o);
      const shown = o.ghost === undefined ? `no completion${o.reason ? ` (${o.reason})` : ''}` : JSON.stringify(o.ghost);
      console.log(`${i + 1}. ${hole.title}: expected ${JSON.stringify(hole.expected)}, shown ${shown}${o.ms === undefined ? '' : ` after ${o.ms} ms`} — ${isCorrect(o.ghost, hole.expected) ? 'correct' : 'not correct'}`);
    }
    const file = path.join(outDir, 'holes.md');
    fs.writeFileSync(file, report(outcomes, model, timeoutMs, date));
    console.log(`wrote ${path.relative(process.cwd(), file)} and ${outcomes.length} screenshots`);
  } finally {
    await workbench.close();
    await server.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

runMain(main);
