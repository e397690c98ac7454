import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { languageOf, lineRanges, maxFileChars, parseTarget, readSource, splitAt } from '../../../src/cli/source';
import { maxDocumentChars } from '../../../src/completion/documentGuards';

/** 9 KB of text, then 100 KB of bytes from a fixed pseudo-random sequence. */
function textThenRandomBytes(): Buffer {
  let state = 12345;
  const noise = Buffer.alloc(100_000);
  for (let i = 0; i < noise.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    noise[i] = state >>> 24;
  }
  return Buffer.concat([Buffer.from('x = 1  # a long enough line of ordinary source text\n'.repeat(170)), noise]);
}

describe('npm run complete: positions', () => {
  it('parses a cursor and a selection, with colons in the file name', () => {
    assert.deepStrictEqual(parseTarget('src/a.py:3:5'), { file: 'src/a.py', start: { line: 3, column: 5 } });
    assert.deepStrictEqual(parseTarget('C:\\code\\a.ts:1:2-4:1'), { file: 'C:\\code\\a.ts', start: { line: 1, column: 2 }, end: { line: 4, column: 1 } });
    assert.throws(() => parseTarget('a.py:3'), /is not FILE:LINE:COL/);
  });

  it('splits at a 1-based line and column; CRLF is not part of the line, and the request gets LF', () => {
    const text = 'def f():\r\n    pass\r\n';
    const crlf = { selected: '', lineEnd: '\r\n' };
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:2:5')), { prefix: 'def f():\n    ', suffix: 'pass\n', ...crlf });
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:1:9')), { prefix: 'def f():', suffix: '\n    pass\n', ...crlf });
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:3:1')), { prefix: 'def f():\n    pass\n', suffix: '', ...crlf });
    assert.deepStrictEqual(splitAt('', parseTarget('empty.py:1:1')), { prefix: '', suffix: '', selected: '', lineEnd: '\n' });
  });

  it('counts a lone CR as a line break, as VS Code does, so LINE:COL lands on the same character', () => {
    const text = 'def f():\r    return 1\rx = \r';
    assert.strictEqual(lineRanges(text).length, 4);
    const split = splitAt(text, parseTarget('mac.py:3:5'));
    assert.strictEqual(split.prefix, 'def f():\n    return 1\nx = ');
    assert.strictEqual(split.suffix, '\n');
    assert.throws(() => splitAt(text, parseTarget('mac.py:3:6')), /column 6 is outside line 3, which has 4 characters/);
    assert.throws(() => splitAt(text, parseTarget('mac.py:5:1')), /which has 4 lines/);
  });

  it('counts lines the same way in a file mixing LF, CRLF and lone CR', () => {
    assert.deepStrictEqual(lineRanges('a\nbb\r\nccc\rd'), [
      { start: 0, end: 1 },
      { start: 2, end: 4 },
      { start: 6, end: 9 },
      { start: 10, end: 11 },
    ]);
    assert.strictEqual(splitAt('a\nbb\r\nccc\rd', parseTarget('m.txt:4:1')).prefix, 'a\nbb\nccc\n');
  });

  it('splits a selection into prefix, selected text and suffix', () => {
    const text = 'a = 1\nb = 2\nc = 3\n';
    assert.deepStrictEqual(splitAt(text, parseTarget('x.py:1:5-2:6')), { prefix: 'a = ', suffix: '\nc = 3\n', selected: '1\nb = 2', lineEnd: '\n' });
    assert.throws(() => splitAt(text, parseTarget('x.py:2:1-1:1')), /ends before it starts/);
  });

  it('explains a position outside the file', () => {
    const text = 'one\ntwo';
    assert.throws(() => splitAt(text, parseTarget('x.py:3:1')), /x\.py:3:1: line 3 is outside the file, which has 2 lines/);
    assert.throws(() => splitAt(text, parseTarget('x.py:2:5')), /column 5 is outside line 2, which has 3 characters \(columns 1 to 4\)/);
    assert.throws(() => splitAt(text, parseTarget('x.py:0:1')), /line 0 is outside/);
  });

  it('guesses the language from the extension', () => {
    assert.strictEqual(languageOf('a/b.py'), 'python');
    assert.strictEqual(languageOf('x.TS'), 'typescript');
    assert.strictEqual(languageOf('Makefile'), '');
  });
});

describe('npm run complete: reading the file', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-source-'));
    fs.writeFileSync(path.join(dir, 'tool.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0]));
    fs.writeFileSync(path.join(dir, 'a.py'), 'x = 1\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads text and rejects binary through the extension\'s guard', () => {
    assert.strictEqual(readSource(path.join(dir, 'a.py')), 'x = 1\n');
    assert.throws(() => readSource(path.join(dir, 'tool.bin'), 'tool.bin'), /tool\.bin looks binary/);
    assert.throws(() => readSource(path.join(dir, 'gone.py'), 'gone.py'), /cannot read gone\.py \(.*gone\.py\): no such file/);
    assert.throws(() => readSource(dir, 'here'), /cannot read here \(.*\): it is a folder/);
  });

  it('checks the whole file: text followed by binary data is refused', () => {
    const file = path.join(dir, 'mixed.py');
    fs.writeFileSync(file, textThenRandomBytes());
    assert.throws(() => readSource(file, 'mixed.py'), /mixed\.py looks binary/);
  });

  it('refuses a file larger than the editor takes, with its size and the limit', () => {
    assert.strictEqual(maxFileChars, maxDocumentChars);
    const file = path.join(dir, 'big.py');
    fs.writeFileSync(file, 'x = 1\n'.repeat(Math.ceil((maxFileChars + 1) / 6)));
    assert.throws(() => readSource(file, 'big.py'), new RegExp(`big\\.py is too large \\(\\d+ characters\\); files up to ${maxFileChars} characters are read`));
    // Far beyond the limit it is refused by its size on disk, unread.
    const huge = path.join(dir, 'huge.py');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 3 * maxFileChars + 1);
    assert.throws(() => readSource(huge, 'huge.py'), /huge\.py is too large \(\d+ bytes\)/);
  });
});
