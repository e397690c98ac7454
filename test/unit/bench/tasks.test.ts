import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { defaultDataFile, evalDir, evalDirEnvVar, evenlySpaced, filterLanguages, loadTasks, parseTasks, realCodeDataFile, repoEvalDir, repoRoot, selectTasks, type InfillTask } from '../../../bench/lib/tasks';

/** A line as HumanEval-infilling writes it. */
const humanEvalLine = (n: number) => ({
  task_id: `SingleLineInfilling/HumanEval/${n}/L0`,
  entry_point: `f${n}`,
  prompt: `def f${n}(x):\n`,
  suffix: '    return y\n',
  canonical_solution: '    y = x + 1\n',
  test: `def check(candidate):\n    assert candidate(1) == 2\n`,
});

/** The same task as the loader gives it. */
const task = (n: number): InfillTask => {
  const { entry_point, test, ...rest } = humanEvalLine(n);
  return { ...rest, language: 'python', tests: { test, entry_point } };
};

const generic = (id: string, language?: string): Record<string, unknown> => ({ task_id: id, prompt: 'const a = ', suffix: ';\n', canonical_solution: '1', ...(language ? { language } : {}) });

describe('task loading', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-tasks-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const body = [humanEvalLine(0), humanEvalLine(2)].map((t) => JSON.stringify(t)).join('\n') + '\n\n';

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

  it('reads generic fill-in-the-middle lines: language defaults to python, no tests, extra fields ignored', () => {
    const tasks = parseTasks([JSON.stringify({ ...generic('a', 'typescript'), hole: 'line', project: 'p', line: 3 }), JSON.stringify(generic('b'))].join('\n'));
    assert.deepEqual(tasks, [
      { task_id: 'a', language: 'typescript', prompt: 'const a = ', suffix: ';\n', canonical_solution: '1', hole: 'line' },
      { task_id: 'b', language: 'python', prompt: 'const a = ', suffix: ';\n', canonical_solution: '1' },
    ]);
  });

  it('names the line of a malformed or incomplete task', () => {
    assert.throws(() => parseTasks(`${JSON.stringify(humanEvalLine(0))}\n{oops`, 'x.jsonl'), /x\.jsonl:2: not JSON/);
    const noSolution = generic('a');
    delete noSolution.canonical_solution;
    assert.throws(() => parseTasks(JSON.stringify(noSolution), 'y.jsonl'), /y\.jsonl:1: field "canonical_solution" missing/);
    assert.throws(() => parseTasks('[1, 2]', 'z.jsonl'), /z\.jsonl:1: expected an object/);
    assert.throws(() => parseTasks(JSON.stringify({ ...generic('a'), language: 7 })), /field "language" must be a string/);
    assert.throws(() => parseTasks(JSON.stringify({ ...generic('a'), language: 'type script' })), /VS Code language id/);
  });

  it('refuses half a test, tests in another language than Python, and a repeated id', () => {
    const testOnly: Record<string, unknown> = humanEvalLine(1);
    delete testOnly.entry_point;
    assert.throws(() => parseTasks(JSON.stringify(testOnly), 't.jsonl'), /t\.jsonl:1: "test" and "entry_point" go together; this task has only "test"/);
    assert.throws(() => parseTasks(JSON.stringify({ ...humanEvalLine(1), language: 'javascript' })), /tests run with python3, but the task's language is "javascript"/);
    assert.throws(() => parseTasks([JSON.stringify(generic('a')), JSON.stringify(generic('a'))].join('\n'), 'd.jsonl'), /d\.jsonl:2: task_id "a" appears twice/);
  });

  it('says which file it cannot read and refuses an empty one', () => {
    assert.throws(() => loadTasks(path.join(dir, 'missing.jsonl')), /cannot read the task file .*missing\.jsonl: ENOENT/);
    const empty = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(empty, '\n');
    assert.throws(() => loadTasks(empty), /empty\.jsonl: no tasks/);
    const broken = path.join(dir, 'broken.jsonl.gz');
    fs.writeFileSync(broken, zlib.gzipSync(body).subarray(0, 20));
    assert.throws(() => loadTasks(broken), /broken\.jsonl\.gz: not a readable gzip file/);
  });

  it('finds the data in the repository, or in the folder DLLM_EVAL_DIR names', () => {
    assert.equal(evalDirEnvVar, 'DLLM_EVAL_DIR');
    assert.equal(defaultDataFile({}), path.join(repoRoot, 'eval', 'humaneval-infilling', 'SingleLine.jsonl.gz'));
    assert.equal(defaultDataFile({ [evalDirEnvVar]: '/data/he' }), path.resolve('/data/he', 'SingleLine.jsonl.gz'));
    assert.equal(evalDir({ [evalDirEnvVar]: '' }), repoEvalDir);
  });

  it('holds the development split inside the repository: the default file is there', () => {
    assert.ok(!path.relative(repoRoot, repoEvalDir).startsWith('..'), repoEvalDir);
    for (const name of ['SingleLine.jsonl.gz', 'MultiLine.jsonl.gz', 'RandomSpan.jsonl.gz', 'entry-points-all.txt', 'LICENSE', 'README.md']) {
      assert.ok(fs.existsSync(path.join(repoEvalDir, name)), `${name} missing from ${repoEvalDir}`);
    }
    const tasks = loadTasks(defaultDataFile({}));
    assert.equal(tasks.length, 457);
    assert.ok(tasks.every((t) => t.tests?.test.includes('def check(')));
    // The even-numbered HumanEval problems only.
    assert.ok(tasks.every((t) => Number(t.task_id.split('/')[2]) % 2 === 0));
  });

  it('loads the committed real-code set: several languages, no tests', () => {
    const tasks = loadTasks(realCodeDataFile);
    const languages = new Set(tasks.map((t) => t.language));
    for (const l of ['typescript', 'javascript', 'python']) assert.ok(languages.has(l), `no ${l} tasks`);
    assert.ok(tasks.every((t) => t.tests === undefined && t.hole !== undefined && t.canonical_solution.trim() !== ''));
  });
});

describe('task selection', () => {
  it('spaces indices evenly as numpy.linspace(0, n - 1, k).round() does', () => {
    // The training pipeline's evaluator picks its tasks this way; these are numpy's answers.
    assert.deepEqual(evenlySpaced(457, 5), [0, 114, 228, 342, 456]);
    assert.deepEqual(evenlySpaced(10, 4), [0, 3, 6, 9]);
    assert.deepEqual(evenlySpaced(6, 3), [0, 2, 5]); // 2.5 rounds to even
    assert.deepEqual(evenlySpaced(4, 1), [0]);
    assert.deepEqual(evenlySpaced(3, 8), [0, 1, 2]);
    assert.deepEqual(evenlySpaced(3, 0), []);
  });

  it('takes at most N per language, in file order', () => {
    const tasks = parseTasks(['a1', 'b1', 'a2', 'a3', 'b2', 'a4'].map((id) => JSON.stringify(generic(id, id[0] === 'a' ? 'typescript' : 'go'))).join('\n'));
    assert.deepEqual(selectTasks(tasks, 2).map((t) => t.task_id), ['a1', 'b1', 'b2', 'a4']);
    assert.deepEqual(selectTasks(tasks, 10).length, 6);
  });

  it('filters languages and names the ones the data has', () => {
    const tasks = parseTasks([JSON.stringify(generic('a', 'typescript')), JSON.stringify(generic('b', 'go'))].join('\n'));
    assert.deepEqual(filterLanguages(tasks, ['go']).map((t) => t.task_id), ['b']);
    assert.throws(() => filterLanguages(tasks, ['rust']), /no tasks in rust; the data has go, typescript/);
  });
});
