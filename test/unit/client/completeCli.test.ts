import * as assert from 'assert';
import { languageOf, parseCommandLine, parseTarget, splitAt } from '../../../scripts/complete';

describe('npm run complete: positions and options', () => {
  it('parses a cursor and a selection, with colons in the file name', () => {
    assert.deepStrictEqual(parseTarget('src/a.py:3:5'), { file: 'src/a.py', start: { line: 3, column: 5 } });
    assert.deepStrictEqual(parseTarget('C:\\code\\a.ts:1:2-4:1'), { file: 'C:\\code\\a.ts', start: { line: 1, column: 2 }, end: { line: 4, column: 1 } });
    assert.throws(() => parseTarget('a.py:3'), /is not FILE:LINE:COL/);
  });

  it('splits at a 1-based line and column; CRLF is not part of the line', () => {
    const text = 'def f():\r\n    pass\r\n';
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:2:5')), { prefix: 'def f():\r\n    ', suffix: 'pass\r\n', selected: '' });
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:1:9')), { prefix: 'def f():', suffix: '\r\n    pass\r\n', selected: '' });
    assert.deepStrictEqual(splitAt(text, parseTarget('f.py:3:1')), { prefix: text, suffix: '', selected: '' });
    assert.deepStrictEqual(splitAt('', parseTarget('empty.py:1:1')), { prefix: '', suffix: '', selected: '' });
  });

  it('splits a selection into prefix, selected text and suffix', () => {
    const text = 'a = 1\nb = 2\nc = 3\n';
    assert.deepStrictEqual(splitAt(text, parseTarget('x.py:1:5-2:6')), { prefix: 'a = ', suffix: '\nc = 3\n', selected: '1\nb = 2' });
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

  it('reads options with defaults and rejects bad ones clearly', () => {
    const options = parseCommandLine(['f.py:1:1', '--sampler', 'threshold', '--steps', '8', '--seed', '3', '--progress']);
    assert.ok(options !== 'help');
    assert.strictEqual(options.sampler, 'threshold');
    assert.strictEqual(options.steps, 8);
    assert.strictEqual(options.maxTokens, 128);
    assert.strictEqual(options.seed, 3);
    assert.strictEqual(options.progress, true);
    assert.strictEqual(options.device, 'auto');
    assert.strictEqual(parseCommandLine(['--help']), 'help');
    assert.throws(() => parseCommandLine(['f.py:1:1', '--sampler', 'greedy']), /--sampler must be one of saber, lowConfidence, threshold/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--max-tokens', '0']), /--max-tokens must be a positive integer/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--bogus']), /Unknown option '--bogus'/);
    assert.throws(() => parseCommandLine([]), /which FILE:LINE:COL/);
  });
});
