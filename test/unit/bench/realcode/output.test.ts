import { strict as assert } from 'node:assert';
import * as zlib from 'node:zlib';
import type { Hole } from '../../../../bench/realcode/builder/holes';
import { makeTask, projectRecord, readmeTables, tasksFile, withTables, type RealCodeTask } from '../../../../bench/realcode/builder/output';
import { projects, type ProjectSpec } from '../../../../bench/realcode/builder/projects';

describe('real-code benchmark: output', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line_${i} = compute(${i})`);
  const text = lines.join('\n') + '\n';
  const lineNo = 200;
  const start = text.indexOf(`line_${lineNo} `);
  const hole: Hole = { kind: 'line', line: lineNo, start, end: start + lines[lineNo]!.length };
  const task = makeTask(text, hole, { language: 'python', project: 'demo', path: 'demo/core.py' });

  it('keeps an exact window of the file around the hole, cut on line boundaries', () => {
    assert.equal(task.canonical_solution, lines[lineNo]);
    assert.ok(text.includes(task.prompt + task.canonical_solution + task.suffix));
    assert.ok(text.slice(0, start).endsWith(task.prompt));
    assert.ok(task.prompt.length <= 4000 && task.suffix.length <= 2000);
    assert.ok(task.prompt.startsWith('line_') && task.suffix.endsWith('\n'));
    assert.equal(task.task_id, 'python/demo/demo/core.py:201:line');
    assert.equal(task.line, 201);
  });

  it('writes the same bytes for the same tasks in any order, sorted by id', () => {
    const other: RealCodeTask = { ...task, task_id: 'python/demo/demo/a.py:1:line', path: 'demo/a.py' };
    const a = tasksFile([task, other]);
    assert.deepEqual(a, tasksFile([other, task]));
    const ids = zlib.gunzipSync(a).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as RealCodeTask).task_id);
    assert.deepEqual(ids, [other.task_id, task.task_id]);
  });

  it('records a project with its counts and sorted, distinct digests', () => {
    const spec = projects.find((p) => p.language === 'typescript' && p.name.startsWith('@')) as ProjectSpec;
    const record = projectRecord(spec, [{ ...task, project: spec.name, language: 'typescript' }], ['bb', 'aa', 'bb']);
    assert.deepEqual(record.sha256, ['aa', 'bb']);
    assert.equal(record.tasks, 1);
    assert.equal(record.files, 1);
    assert.match(record.licenceFile, /^LICENSES\/[\w.-]+\.txt$/);
    assert.match(record.source, /^npm:@[\w-]+\/[\w-]+@\d/);
  });

  it('replaces only the marked tables in the README', () => {
    const readme = 'intro\n<!-- tables: written by bench/realcode/build.ts -->\nold\n<!-- /tables -->\nrest\n';
    const tables = readmeTables([], []);
    const out = withTables(readme, tables);
    assert.ok(out.startsWith('intro\n') && out.endsWith('<!-- /tables -->\nrest\n') && out.includes(tables) && !out.includes('old'));
    assert.throws(() => withTables('no markers', tables), /markers/);
  });
});
