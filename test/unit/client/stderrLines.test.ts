import * as assert from 'assert';
import { LineSplitter, parseStderrLine } from '../../../src/client/stderrLines';

describe('stderr lines of the child', () => {
  it('reads the level tag the server writes', () => {
    assert.deepStrictEqual(parseStderrLine('[warn] GPU provider cuda failed'), { level: 'warn', message: 'GPU provider cuda failed' });
    assert.deepStrictEqual(parseStderrLine('[debug] x'), { level: 'debug', message: 'x' });
  });

  it('classifies untagged lines: crashes are errors, the rest (native chatter included) info', () => {
    assert.strictEqual(parseStderrLine('FATAL ERROR: Reached heap limit Allocation failed').level, 'error');
    assert.strictEqual(parseStderrLine('Segmentation fault (core dumped)').level, 'error');
    assert.strictEqual(parseStderrLine("Warning: Couldn't load Vulkan").level, 'info');
    assert.strictEqual(parseStderrLine('2026-01-01 onnxruntime graph optimized').level, 'info');
  });

  it('splits chunks into lines across chunk borders and CRLF', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('first li');
    splitter.push('ne\r\nsecond\n\nthi');
    assert.deepStrictEqual(lines, ['first line', 'second']);
    splitter.push('rd');
    splitter.flush();
    assert.deepStrictEqual(lines, ['first line', 'second', 'third']);
  });
});
