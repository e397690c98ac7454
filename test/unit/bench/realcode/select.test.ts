import { strict as assert } from 'node:assert';
import type { Hole, HoleKind } from '../../../../bench/realcode/builder/holes';
import { drawHoles, hash32, seeded, shuffled, type FileHoles } from '../../../../bench/realcode/builder/select';

describe('real-code benchmark: drawing', () => {
  const hole = (kind: HoleKind, line: number): Hole => ({ kind, line, start: line * 10, end: line * 10 + 5 });
  const file = (project: string, i: number): FileHoles => ({
    project,
    path: `f${i}.ts`,
    holes: { lineRest: [hole('lineRest', 1), hole('lineRest', 2)], line: [hole('line', 3)], lines: [hole('lines', 4)], body: i % 2 ? [hole('body', 5)] : [] },
  });
  const files = [...Array.from({ length: 40 }, (_, i) => file('big', i)), ...Array.from({ length: 20 }, (_, i) => file('small', i))];
  const options = { perKind: 20, perFile: 3, projectShare: 0.6 };

  it('draws the same holes every time, whatever the input order', () => {
    const key = (p: { file: FileHoles; hole: Hole }) => `${p.file.project}/${p.file.path}:${p.hole.kind}:${p.hole.line}`;
    const a = drawHoles(files, options).map(key).sort();
    assert.deepEqual(a, drawHoles([...files].reverse(), options).map(key).sort());
    assert.equal(hash32('abc'), hash32('abc'));
    assert.notEqual(hash32('abc'), hash32('abd'));
    assert.deepEqual(shuffled([1, 2, 3, 4, 5], seeded('x')), shuffled([1, 2, 3, 4, 5], seeded('x')));
  });

  it('takes at most one hole of each kind and three in all from a file, and caps a project', () => {
    const picked = drawHoles(files, options);
    const perFile = new Map<FileHoles, HoleKind[]>();
    for (const p of picked) perFile.set(p.file, [...(perFile.get(p.file) ?? []), p.hole.kind]);
    for (const kinds of perFile.values()) {
      assert.ok(kinds.length <= 3);
      assert.equal(new Set(kinds).size, kinds.length);
    }
    for (const kind of ['lineRest', 'line', 'lines', 'body'] as const) {
      const own = picked.filter((p) => p.hole.kind === kind);
      assert.equal(own.length, 20, kind);
      assert.ok(own.filter((p) => p.file.project === 'big').length <= 12, `${kind}: over the project's share`);
    }
  });
});
