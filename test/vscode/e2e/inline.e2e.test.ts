/**
 * Inline ghost text as a person meets it: type in a Python and a TypeScript file, wait for the
 * ghost text, press Tab, and the document holds it. Also prints how long the ghost text takes
 * to appear after typing stops (a figure, not an assertion).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, resultsDir, screenshot } from '../../../scripts/vscode/harness';
import { openSession, screenshotIfFailed, type Session } from './session';
import { ghostText, goToEnd, openFile, saveAndRead, typeText, waitForEngineReady, waitForGhostText, workspaceFile } from './workbench';

describe('inline ghost text (e2e)', function () {
  let session: Session | undefined;

  before(async function () {
    session = await openSession('e2e-inline');
    console.log(`      extension from the ${session.source}`);
    await waitForEngineReady(session.page);
  });
  afterEach(async function () {
    await screenshotIfFailed(session, this.currentTest);
  });
  after(async function () {
    await session?.close();
  });

  /** Types `typed` at the end of an empty file, accepts the ghost text with Tab, returns both. */
  async function acceptGhostText(file: string, typed: string): Promise<{ ghost: string; saved: string }> {
    const s = session!;
    await openFile(s.page, file);
    await goToEnd(s.page);
    await typeText(s.page, typed);
    const ghost = await waitForGhostText(s.page);
    assert.ok(ghost.trim().length > 0, 'ghost text is empty');
    await s.page.keyboard.press('Tab');
    await ghostText(s.page).first().waitFor({ state: 'detached' });
    const saved = await saveAndRead(s.page, workspaceFile(s.workspace, file));
    return { ghost, saved };
  }

  it('Python: ghost text appears after typing and Tab inserts it', async function () {
    const typed = 'def multiply(a, b):\n    """Return the product of a and b."""\n    return ';
    const { ghost, saved } = await acceptGhostText('scratch.py', typed);
    assert.ok(saved.startsWith(typed), `typed text is not in the file:\n${saved}`);
    const firstGhostLine = ghost.split('\n')[0].trim();
    assert.ok(saved.length > typed.length, 'Tab did not change the document');
    assert.ok(saved.includes(firstGhostLine), `file lacks the accepted ghost text "${firstGhostLine}":\n${saved}`);
  });

  it('TypeScript: ghost text appears after typing and Tab inserts it', async function () {
    const typed = '/** Returns x squared. */\nexport function square(x: number): number {\n  return ';
    const { ghost, saved } = await acceptGhostText('scratch.ts', typed);
    assert.ok(saved.startsWith(typed), `typed text is not in the file:\n${saved}`);
    const firstGhostLine = ghost.split('\n')[0].trim();
    assert.ok(saved.length > typed.length, 'Tab did not change the document');
    assert.ok(saved.includes(firstGhostLine), `file lacks the accepted ghost text "${firstGhostLine}":\n${saved}`);
  });

  it('shows ghost text after pauses in typing (latency printed, screenshot kept)', async function () {
    const s = session!;
    await openFile(s.page, 'sample.py');
    await goToEnd(s.page);
    const prompts = [
      'def square(x):\n    """Return x squared."""\n    return ',
      'def cube(x):\n    """Return x cubed."""\n    return ',
      'def is_odd(n):\n    """Return True if n is odd."""\n    return ',
      'def half(x):\n    """Return half of x."""\n    return ',
      'def double(x):\n    """Return twice x."""\n    return ',
    ];
    const latencies: number[] = [];
    let misses = 0;
    for (const prompt of prompts) {
      await typeText(s.page, `\n\n${prompt}`);
      const typingStopped = Date.now();
      try {
        await waitForGhostText(s.page, 10_000);
      } catch {
        misses++; // the model had nothing to offer here; counted, not timed
        continue;
      }
      latencies.push(Date.now() - typingStopped);
      if (latencies.length === 1) {
        const shot = await screenshot(s.page, 'ghost-text');
        assert.ok(shot && fs.existsSync(shot));
        // The editor alone, the picture the README uses (media/ghost-text.png).
        await screenshot(s.page.locator('.part.editor'), 'ghost-text-editor');
      }
      await s.page.keyboard.press('Escape');
      await ghostText(s.page).first().waitFor({ state: 'detached' });
    }
    assert.ok(latencies.length >= Math.ceil(prompts.length / 2), `ghost text in only ${latencies.length} of ${prompts.length} tries`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    const line = `ghost text after typing stops: p50 ${pct(50)} ms, p95 ${pct(95)} ms over ${latencies.length} tries, ${misses} without ghost text (${latencies.join(', ')} ms; includes the debounce)`;
    console.log(`      ${line}`);
    fs.writeFileSync(path.join(resultsDir, 'e2e-ghost-latency.txt'), `${line}\n`);
    console.log(`      screenshots: ${['ghost-text.png', 'ghost-text-editor.png'].map((f) => path.relative(repoRoot, path.join(resultsDir, f))).join(', ')}`);
  });
});
