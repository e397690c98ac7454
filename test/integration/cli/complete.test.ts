/**
 * `npm run complete` end to end: the built command line (dist/complete.js) with the real child
 * process and the bundled model, on files an editor would open.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { firstPassTopK, type FirstPassDump } from '../../../src/protocol/firstPass';
import { maxInfillTextChars } from '../../../src/protocol/messageSize';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(repoRoot, 'dist', 'complete.js');

function complete(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 50_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run complete (built command line, bundled model)', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    if (!fs.existsSync(cli)) throw new Error(`${cli} missing: run npm run build`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('completes in a file larger than one request may carry, sending only the window the model reads', () => {
    // Many functions before the cursor and after it: the file is over the request cap, under the editor's limit.
    const fn = (i: number): string => `def f${i}(a, b):\n    return a + b * ${i}\n\n`;
    const before = Array.from({ length: 8000 }, (_, i) => fn(i)).join('');
    const after = Array.from({ length: 8000 }, (_, i) => fn(i + 8000)).join('');
    const text = `${before}def add(a, b):\n    \n\n${after}`;
    assert.ok(text.length > maxInfillTextChars, `the file (${text.length} chars) must exceed the request cap`);
    const file = path.join(dir, 'large.py');
    fs.writeFileSync(file, text);
    const line = before.split('\n').length + 1;

    const run = complete(`${file}:${line}:5`, '--json', '--steps', '4', '--max-tokens', '8');
    assert.strictEqual(run.status, 0, `exit ${run.status}: ${run.stderr}`);
    const result = JSON.parse(run.stdout) as { finishReason: string; stats: { forwardPasses: number } };
    assert.ok(result.stats.forwardPasses >= 1 && result.stats.forwardPasses <= 4, run.stdout);
  });

  it('writes the first pass\'s sequence and top canvas logits with --dump-logits', () => {
    const file = path.join(dir, 'dump.py');
    fs.writeFileSync(file, 'def add(a, b):\n    \n\nprint(add(1, 2))\n');
    const out = path.join(dir, 'dump.json');
    const run = complete(`${file}:2:5`, '--max-tokens', '8', '--steps', '4', '--dump-logits', out);
    assert.strictEqual(run.status, 0, run.stderr);
    const dump = JSON.parse(fs.readFileSync(out, 'utf8')) as FirstPassDump;
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'dllm-code-tiny', 'dllm.json'), 'utf8')) as { specialTokens: { mask: number; bos: number } };
    assert.equal(dump.tokens[0], manifest.specialTokens.bos, 'the bundled model\'s sequence starts with bos');
    assert.deepEqual(dump.tokens.slice(dump.canvasStart, dump.canvasStart + 8), new Array(8).fill(manifest.specialTokens.mask));
    assert.deepEqual(dump.positions, dump.tokens.map((_, i) => i));
    assert.equal(dump.topk.length, 8);
    for (const row of dump.topk) {
      assert.equal(row.length, firstPassTopK);
      for (let i = 1; i < row.length; i++) assert.ok(row[i - 1]![1] >= row[i]![1], 'highest first');
    }
  });

  it('refuses a file whose text turns binary after its first kilobytes, with exit code 2', () => {
    const file = path.join(dir, 'mixed.py');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('x = 1\n'.repeat(2000)), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 32))]));
    const run = complete(`${file}:1:1`);
    assert.strictEqual(run.status, 2, run.stderr);
    assert.match(run.stderr, /looks binary/);
    assert.strictEqual(run.stdout, '');
  });
});
