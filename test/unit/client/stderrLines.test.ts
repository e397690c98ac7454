import * as assert from 'assert';
import { capLength, LineSplitter, maxLogLineLength, parseStderrLine } from '../../../src/client/stderrLines';

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

describe('native log lines and long lines', () => {
  const red = '\u001b[1;31m';
  const yellow = '\u001b[0;93m';
  const end = '\u001b[m';

  it('strips colour codes from every line', () => {
    assert.deepStrictEqual(parseStderrLine(`${red}[error] bad${end}`), { level: 'error', message: 'bad' });
    assert.strictEqual(parseStderrLine(`plain ${yellow}yellow${end} text`).message, 'plain yellow text');
    assert.strictEqual(parseStderrLine('\u001b]0;title\u0007shown').message, 'shown');
  });

  it("logs onnxruntime's lines at their severity, without the timestamp", () => {
    const at = (severity: string) =>
      parseStderrLine(`${red}2025-01-01 12:00:00.123456789 [${severity}:onnxruntime:, inference_session.cc:123 Foo] message${end}`);
    assert.deepStrictEqual(at('E'), { level: 'error', message: '[E:onnxruntime:, inference_session.cc:123 Foo] message' });
    assert.strictEqual(at('F').level, 'error');
    assert.strictEqual(at('W').level, 'warn');
    assert.strictEqual(at('I').level, 'debug');
    assert.strictEqual(at('V').level, 'debug');
    // A warning that mentions an error is still a warning.
    assert.strictEqual(parseStderrLine('[W:onnxruntime:dllm, session_state.cc:1166 Verify] error-prone nodes').level, 'warn');
  });

  it('caps every line, tagged or not, and says how much was cut', () => {
    for (const line of [`[info] ${'x'.repeat(5000)}`, 'y'.repeat(5000)]) {
      const { message } = parseStderrLine(line);
      assert.ok(message.length <= maxLogLineLength, `${message.length}`);
      const cut = Number(/\[(\d+) more characters cut\]$/.exec(message)?.[1]);
      assert.strictEqual(message.indexOf(' … [') + cut, 5000);
    }
  });

  it('capLength leaves short text alone, fits the note in the limit and is stable when applied twice', () => {
    assert.strictEqual(capLength('short', 100), 'short');
    const once = capLength('z'.repeat(500), 100);
    assert.strictEqual(once.length <= 100, true);
    assert.match(once, /^z+ … \[\d+ more characters cut\]$/);
    assert.strictEqual(capLength(once, 100), once);
    // Never half a surrogate pair.
    const emoji = capLength('😀'.repeat(300), 100);
    assert.ok(!/[\ud800-\udbff]$/.test(emoji.slice(0, emoji.indexOf(' … ['))));
  });

  it('does not buffer an endless line: keeps the start, counts the rest, emits it cut', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 100);
    for (let i = 0; i < 1000; i += 1) splitter.push('a'.repeat(1000));
    assert.ok((splitter as unknown as { partial: string }).partial.length <= 101, 'partial text must stay bounded');
    splitter.push('\r\nnext\n');
    assert.strictEqual(lines.length, 2);
    const [first] = lines;
    assert.ok(first !== undefined && first.length <= 100);
    const kept = first.indexOf(' … [');
    assert.strictEqual(kept + Number(/\[(\d+) more/.exec(first)?.[1]), 1_000_000);
    assert.strictEqual(lines[1], 'next');

    splitter.push('b'.repeat(300));
    splitter.flush();
    assert.match(lines[2]!, /^b+ … \[\d+ more characters cut\]$/);
  });
});
