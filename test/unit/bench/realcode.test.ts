import { strict as assert } from 'node:assert';
import * as zlib from 'node:zlib';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { skipReason } from '../../bench/realcode/builder/files';
import { findHoles, holeLimits, type Hole, type HoleKind, type HolesByKind } from '../../bench/realcode/builder/holes';
import { classifyLines } from '../../bench/realcode/builder/lex';
import { makeTask, projectRecord, readmeTables, tasksFile, withTables, type RealCodeTask } from '../../bench/realcode/builder/output';
import { projects, upstreamVersion, type ProjectSpec } from '../../bench/realcode/builder/projects';
import { drawHoles, hash32, seeded, shuffled, type FileHoles } from '../../bench/realcode/builder/select';

const python = [
  '# Copyright (c) 2020 Someone',
  '# Licensed under the MIT licence.',
  '"""A module docstring',
  'that spans lines."""',
  'import os',
  '',
  '',
  'def total(values, start=0):',
  '    """Sum the values."""',
  '    result = start',
  '    for v in values:',
  '        result += v',
  '    return result',
  '',
  '',
  'TEMPLATE = """',
  '    not code: an indented line in a string',
  '"""',
  '',
  'class Box:',
  '    def __init__(self, items):',
  '        # keep a copy',
  '        self.items = list(items)',
  '        self.size = len(self.items)',
  '',
].join('\n');

const typescript = [
  '/**',
  ' * Licence header.',
  ' */',
  "import { thing } from './thing';",
  '',
  'export function clamp(value: number, low: number, high: number): number {',
  '  if (value < low) {',
  '    return low;',
  '  }',
  '  const re = /["`]/g; // a regex with quotes',
  '  return Math.min(value, high);',
  '}',
  '',
  'export interface Shape {',
  '  width: number;',
  '  height: number;',
  '}',
  '',
  'const message = `a template',
  '  spanning lines`;',
  '',
  'function broken() {',
  '  const a = 1;',
  '  const b = 2;',
  'return a + b;',
  '}',
].join('\n');

const at = (text: string, hole: Hole) => text.slice(hole.start, hole.end);
const lineOf = (text: string, n: number) => text.split('\n')[n];
const holesIn = (text: string, language: 'python' | 'typescript' | 'rust' | 'go') => findHoles(text, language, mulberry32(1));

describe('real-code benchmark: lines', () => {
  it('tells code from comments, docstrings and the insides of strings (Python)', () => {
    const kinds = classifyLines(python, 'python').map((l) => l.kind);
    assert.deepEqual(kinds.slice(0, 5), ['comment', 'comment', 'string', 'string', 'code']);
    assert.equal(kinds[8], 'string', 'a docstring line');
    assert.equal(kinds[16], 'string', 'a line inside a triple-quoted string');
    assert.equal(kinds[21], 'comment');
    assert.equal(kinds[22], 'code');
  });

  it('skips regular expressions, line comments and template literals (TypeScript)', () => {
    const info = classifyLines(typescript, 'typescript');
    assert.deepEqual(info.slice(0, 4).map((l) => l.kind), ['comment', 'comment', 'comment', 'code']);
    assert.equal(info[9].kind, 'code');
    assert.ok(info[9].closed, 'the quotes inside the regex open no string');
    assert.equal(info[18].closed, false, 'the template literal is still open');
    assert.equal(info[19].continued, true);
  });

  it('knows a Rust lifetime from a char literal, and reads raw strings', () => {
    const rust = ["fn f<'a>(s: &'a str) -> char {", "    let c = '{';", '    let r = r#"a "quoted', 'b"#;', '    c', '}'].join('\n');
    const info = classifyLines(rust, 'rust');
    assert.ok(info[0].closed && info[1].closed);
    assert.equal(info[2].closed, false);
    assert.ok(info[3].continued && info[3].closed);
  });
});

describe('real-code benchmark: holes', () => {
  const py = holesIn(python, 'python');
  const ts = holesIn(typescript, 'typescript');

  it('cuts the rest of a line after its indentation and a word, never inside a word', () => {
    for (const [text, holes] of [[python, py], [typescript, ts]] as const) {
      assert.ok(holes.lineRest.length > 0);
      for (const h of holes.lineRest) {
        const line = lineOf(text, h.line);
        const lineStart = text.lastIndexOf('\n', h.start - 1) + 1;
        const before = text.slice(lineStart, h.start);
        assert.equal(before + at(text, h), line, 'the middle is the rest of the line');
        assert.match(before, /^\s*\S*[\w$]/, 'indentation and a word come first');
        assert.ok(!(/[\w$]$/.test(before) && /^[\w$]/.test(at(text, h))), `cut inside a word: ${before}|${at(text, h)}`);
        const { minChars, maxChars } = holeLimits.lineRest;
        assert.ok(h.end - h.start >= minChars && h.end - h.start <= maxChars);
      }
    }
  });

  it('starts a whole-line hole after the indentation, as after pressing Enter', () => {
    const h = py.line.find((x) => at(python, x) === 'result = start');
    assert.ok(h);
    assert.equal(python.slice(0, h.start).split('\n').pop(), '    ');
  });

  it('never cuts in the licence header, a comment, a docstring, a string or a line of closers', () => {
    for (const [text, holes, info] of [
      [python, py, classifyLines(python, 'python')],
      [typescript, ts, classifyLines(typescript, 'typescript')],
    ] as const) {
      for (const kind of ['lineRest', 'line', 'lines'] as const) {
        for (const h of holes[kind]) {
          assert.equal(info[h.line].kind, 'code', `${kind} at line ${h.line + 1}: ${at(text, h)}`);
          assert.match(at(text, h), /[\w$'"`]/);
        }
      }
    }
    assert.ok(!ts.line.some((h) => at(typescript, h).startsWith('}')));
    assert.ok(!py.line.some((h) => h.line < 4));
  });

  it('takes 2 to 5 whole lines, ending at the end of a line', () => {
    for (const h of ts.lines) {
      const middle = at(typescript, h);
      const count = middle.split('\n').length;
      assert.ok(count >= 2 && count <= 5 && middle.length <= holeLimits.lines.maxChars);
      assert.ok(h.end === typescript.length || typescript[h.end] === '\n');
    }
  });

  it('finds a Python body by indentation, and a brace body by its closing line', () => {
    const bodies = (text: string, holes: HolesByKind) => holes.body.map((h) => at(text, h));
    assert.ok(bodies(python, py).includes('"""Sum the values."""\n    result = start\n    for v in values:\n        result += v\n    return result'));
    assert.ok(bodies(python, py).includes('# keep a copy\n        self.items = list(items)\n        self.size = len(self.items)'));
    assert.ok(bodies(typescript, ts).some((b) => b.startsWith('if (value < low) {') && b.endsWith('return Math.min(value, high);')));
    // An interface is not code; a body whose indentation ends before its `}` is misindented.
    assert.ok(!bodies(typescript, ts).some((b) => b.startsWith('width')));
    assert.ok(!bodies(typescript, ts).some((b) => b.startsWith('const a = 1')));
    const body = py.body.find((h) => at(python, h).startsWith('"""Sum'));
    assert.ok(body);
    assert.equal(python.slice(0, body.start).split('\n').slice(-2).join('\n'), 'def total(values, start=0):\n    ');
  });

  it('finds Go bodies in tab-indented code', () => {
    const go = ['package x', '', 'func Max(a, b int) int {', '\tif a > b {', '\t\treturn a', '\t}', '\treturn b', '}', ''].join('\n');
    const holes = holesIn(go, 'go');
    assert.deepEqual(holes.body.map((h) => at(go, h)), ['if a > b {\n\t\treturn a\n\t}\n\treturn b']);
  });

  it('gives the same holes for the same seed', () => {
    assert.deepEqual(findHoles(typescript, 'typescript', mulberry32(9)), findHoles(typescript, 'typescript', mulberry32(9)));
  });
});

describe('real-code benchmark: files', () => {
  const body = Buffer.from(Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};`).join('\n'));

  it('takes ordinary source files', () => {
    assert.equal(skipReason('src/a.ts', body, 'typescript'), undefined);
    assert.equal(skipReason('lib/a.js', Buffer.from(`/** @returns The generated HTML */\n${body}`), 'javascript'), undefined);
  });

  it('skips tests, declarations, minified, generated, short and other-language files', () => {
    assert.match(skipReason('src/a.test.ts', body, 'typescript') ?? '', /test/);
    assert.match(skipReason('src/__tests__/a.ts', body, 'typescript') ?? '', /test/);
    assert.match(skipReason('pkg/tests/test_a.py', body, 'python') ?? '', /test/);
    assert.match(skipReason('a_test.go', body, 'go') ?? '', /test/);
    assert.match(skipReason('src/a.d.ts', body, 'typescript') ?? '', /language/);
    assert.match(skipReason('src/a.ts', Buffer.from(`${body}\nconst x = "${'x'.repeat(1200)}";`), 'typescript') ?? '', /minified/);
    assert.match(skipReason('a.go', Buffer.from(`// Code generated by stringer. DO NOT EDIT.\n${body}`), 'go') ?? '', /generated/);
    assert.match(skipReason('src/a.ts', Buffer.from('const a = 1;\n'), 'typescript') ?? '', /20 lines/);
    assert.match(skipReason('src/a.ts', Buffer.alloc(210 * 1024, 0x61), 'typescript') ?? '', /200 KB/);
  });
});

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

describe('real-code benchmark: output', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line_${i} = compute(${i})`);
  const text = lines.join('\n') + '\n';
  const lineNo = 200;
  const start = text.indexOf(`line_${lineNo} `);
  const hole: Hole = { kind: 'line', line: lineNo, start, end: start + lines[lineNo].length };
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
    const readme = 'intro\n<!-- tables: written by test/bench/realcode/build.ts -->\nold\n<!-- /tables -->\nrest\n';
    const tables = readmeTables([], []);
    const out = withTables(readme, tables);
    assert.ok(out.startsWith('intro\n') && out.endsWith('<!-- /tables -->\nrest\n') && out.includes(tables) && !out.includes('old'));
    assert.throws(() => withTables('no markers', tables), /markers/);
  });
});

describe('real-code benchmark: projects', () => {
  it('pins permissively licensed projects with distinct names per language', () => {
    const permissive = /^(MIT|ISC|BSD-2-Clause|BSD-3-Clause|Apache-2\.0|0BSD|MIT-0|PSF-2\.0)$/;
    for (const p of projects) {
      for (const id of p.licence.split(/ (?:AND|OR) /)) assert.match(id, permissive, `${p.name}: ${p.licence}`);
    }
    assert.equal(new Set(projects.map((p) => `${p.language}/${p.name}`)).size, projects.length);
  });

  it('matches each project wherever it is installed, in JavaScript syntax strict enough for Python', () => {
    const examples = (p: ProjectSpec): string[] => {
      if (p.source.kind === 'npm') return [`/w/node_modules/${p.name}/src/a.ts`, `/w/node_modules/x/node_modules/${p.name}/lib/b.js`];
      if (p.language === 'python') return [`/usr/lib/python3/dist-packages/${p.name}/a.py`, `/venv/lib/python3.12/site-packages/other/_vendor/${p.name}/b.py`];
      if (p.language === 'go') {
        const escaped = p.name.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
        return [`/usr/share/gocode/src/${p.name}/a.go`, `/root/go/pkg/mod/${escaped}@v1.0.0/a.go`];
      }
      return [`/usr/share/cargo/registry/${p.name}-1.2.3/src/lib.rs`, `/root/.cargo/registry/src/index.crates.io-6f17d22b/${p.name}-1.2.3/src/lib.rs`];
    };
    for (const p of projects) {
      // The `u` flag rejects the escapes that only JavaScript's legacy syntax accepts.
      const res = p.paths.map((rx) => new RegExp(rx, 'u'));
      for (const path of examples(p)) assert.ok(res.some((re) => re.test(path)), `${p.name}: ${path}`);
      assert.ok(!res.some((re) => re.test(`/w/node_modules/${p.name}x/a.js`)), `${p.name}: matches a longer name`);
    }
  });

  it('reads the upstream version out of a Debian version', () => {
    assert.equal(upstreamVersion('21.0.0-2'), '21.0.0');
    assert.equal(upstreamVersion('2.10.68+dfsg1-2'), '2.10.68');
    assert.equal(upstreamVersion('1:0.4.3-1+b2'), '0.4.3');
    assert.equal(upstreamVersion('0.2.3+git20180208.19c076c-2'), '0.2.3+git20180208.19c076c');
  });
});
