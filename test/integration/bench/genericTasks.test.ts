/**
 * `npm run eval` on a small task file in the generic format, end to end: the real CLI, the real
 * inference child with the bundled model, scores written to the summary files.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { EvalSummary, TaskRecord } from '../../../bench/lib/evalRun';
import { editSimilarity, exactMatch } from '../../../bench/lib/scores';
import { loadTasks, repoRoot } from '../../../bench/lib/tasks';
import { otherModelDir, requireBuildAndModel } from '../server/harness';

const run = promisify(execFile);
const fixture = path.join(repoRoot, 'test', 'fixtures', 'eval', 'generic.jsonl');

describe('npm run eval on generic fill-in-the-middle tasks', function () {
  this.timeout(120_000);
  let out: string;
  let stdout: string;
  let summary: EvalSummary;
  let records: TaskRecord[];

  before(async () => {
    requireBuildAndModel();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-eval-generic-'));
    const cli = require.resolve('tsx/cli');
    const model = otherModelDir ? ['--model', otherModelDir] : [];
    ({ stdout } = await run(process.execPath, [cli, 'bench/eval.ts', '--data', fixture, '--canvas', '16', '--device', 'cpu', '--jobs', '1', '--out', out, ...model], { cwd: repoRoot }));
    summary = (JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as { summary: EvalSummary }).summary;
    records = fs
      .readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TaskRecord);
  });
  after(() => out && fs.rmSync(out, { recursive: true, force: true }));

  it('answers every task through the child and tests only the one with tests', () => {
    const tasks = loadTasks(fixture);
    assert.deepEqual(records.map((r) => r.task_id).sort(), tasks.map((t) => t.task_id).sort());
    assert.ok(records.every((r) => r.status !== 'error' && r.forwardPasses >= 1), JSON.stringify(records.map((r) => r.detail)));
    for (const r of records) assert.equal(r.status === 'untested', r.task_id !== 'py/add_one:tested', r.task_id);
    assert.equal(summary.tested, 1);
    assert.equal(summary.pass1, Number(records.find((r) => r.tested)?.passed));
  });

  it('scores each completion against its reference', () => {
    const tasks = new Map(loadTasks(fixture).map((t) => [t.task_id, t]));
    for (const r of records) {
      const reference = tasks.get(r.task_id)!.canonical_solution;
      assert.equal(r.exactMatch, exactMatch(r.completion, reference));
      assert.equal(r.editSimilarity, editSimilarity(r.completion, reference));
    }
    const mean = records.reduce((sum, r) => sum + r.editSimilarity, 0) / records.length;
    assert.ok(Math.abs(summary.editSimilarity - mean) < 1e-12);
  });

  it('breaks the figures down by language and hole, in JSON and Markdown', () => {
    assert.deepEqual(Object.keys(summary.byLanguage), ['go', 'javascript', 'python', 'typescript']);
    assert.deepEqual(
      Object.fromEntries(Object.entries(summary.byLanguage).map(([l, s]) => [l, s.tasks])),
      { go: 1, javascript: 1, python: 2, typescript: 2 },
    );
    assert.equal(summary.byLanguage.python?.tested, 1);
    assert.equal(summary.byLanguage.typescript?.pass1, null);
    assert.deepEqual(Object.keys(summary.byHole), ['body', 'line', 'lineRest', 'lines']);
    const markdown = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.match(markdown, /## By language/);
    assert.match(markdown, /\| typescript +\| +2 \|/);
    assert.match(markdown, /## By hole/);
    assert.match(stdout, /6 tasks \(1 with tests\)/);
  });
});
