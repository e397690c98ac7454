import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { dataEnvVar, defaultDataFile, loadTasks, parseTasks, repoRoot, type InfillTask } from '../../../scripts/lib/tasks';

const task = (n: number): InfillTask => ({
  task_id: `SingleLineInfilling/HumanEval/${n}/L0`,
  entry_point: `f${n}`,
  prompt: `def f${n}(x):\n`,
  suffix: '    return y\n',
  canonical_solution: '    y = x + 1\n',
  test: `def check(candidate):\n    assert candidate(1) == 2\n`,
});

describe('HumanEval-infilling task loading', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-tasks-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const body = [task(0), task(2)].map((t) => JSON.stringify(t)).join('\n') + '\n\n';

  it('reads plain JSON lines', () => {
    const file = path.join(dir, 'plain.jsonl');
    fs.writeFileSync(file, body);
    assert.deepEqual(loadTasks(file), [task(0), task(2)]);
  });

  it('reads gzipped JSON lines, recognised by content', () => {
    const gz = path.join(dir, 'tasks.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(body));
    assert.deepEqual(loadTasks(gz), [task(0), task(2)]);
    const misnamed = path.join(dir, 'tasks-gz.jsonl');
    fs.writeFileSync(misnamed, zlib.gzipSync(body));
    assert.equal(loadTasks(misnamed).length, 2);
  });

  it('names the line of a malformed or incomplete task', () => {
    assert.throws(() => parseTasks(`${JSON.stringify(task(0))}\n{oops`, 'x.jsonl'), /x\.jsonl:2: not JSON/);
    const noTest: Partial<InfillTask> = task(4);
    delete noTest.test;
    assert.throws(() => parseTasks(JSON.stringify(noTest), 'y.jsonl'), /y\.jsonl:1: field "test" missing/);
    assert.throws(() => parseTasks('[1, 2]', 'z.jsonl'), /field "task_id"/);
  });

  it('finds the data next to the checkout, or where the environment says', () => {
    assert.equal(defaultDataFile({}), path.resolve(repoRoot, '..', 'shared', 'eval', 'humaneval-infilling', 'SingleLine.jsonl.gz'));
    assert.equal(defaultDataFile({ [dataEnvVar]: '/data/x.jsonl' }), '/data/x.jsonl');
  });

  it('loads the shared single-line split when it is present', function () {
    const file = defaultDataFile({});
    if (!fs.existsSync(file)) this.skip();
    const tasks = loadTasks(file);
    assert.equal(tasks.length, 457);
    assert.ok(tasks.every((t) => t.test.includes('def check(')));
  });
});
