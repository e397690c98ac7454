import * as assert from 'assert';
import { FrameGuard, idAndMethod, type DroppedMessage } from '../../../src/server/frameGuard';
import { maxHeaderBytes, maxMessageBytes } from '../../../src/protocol/messageSize';

function frame(body: string | Buffer, header = 'Content-Length'): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`${header}: ${bytes.length}\r\n\r\n`), bytes]);
}

/** Runs `chunks` through a guard; returns what came out, what it dropped and why it broke. */
async function guard(chunks: Buffer[]): Promise<{ out: string; dropped: DroppedMessage[]; broken: string[] }> {
  const dropped: DroppedMessage[] = [];
  const broken: string[] = [];
  const g = new FrameGuard({ dropped: (d) => dropped.push(d), broken: (r) => broken.push(r) });
  const out: Buffer[] = [];
  g.on('data', (b: Buffer) => out.push(b));
  for (const c of chunks) g.write(c);
  g.end();
  await new Promise((resolve) => g.on('end', resolve));
  return { out: Buffer.concat(out).toString(), dropped, broken };
}

describe('server/frameGuard', () => {
  it('passes messages within the limit through unchanged, however the stream is cut', async () => {
    const stream = Buffer.concat([frame('{"id":1}'), frame('{"é":"ü"}', 'content-length'), frame('')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const { out, dropped, broken } = await guard([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.strictEqual(out, stream.toString(), `cut at ${cut}`);
      assert.deepStrictEqual([dropped, broken], [[], []]);
    }
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.strictEqual((await guard(bytes)).out, stream.toString(), 'one byte at a time');
  });

  it('drops a message above the limit, keeping the ones around it, and names its id and method', async () => {
    const big = Buffer.alloc(maxMessageBytes + 1, 'x');
    big.write('{"jsonrpc":"2.0","id":7,"method":"dllm/infill","params":{"prefix":"');
    const chunks = [frame('{"id":1}'), ...chunksOf(frame(big), 65_536), frame('{"id":2}')];
    const { out, dropped, broken } = await guard(chunks);
    assert.strictEqual(out, frame('{"id":1}').toString() + frame('{"id":2}').toString());
    assert.deepStrictEqual(dropped, [{ bytes: maxMessageBytes + 1, id: 7, method: 'dllm/infill' }]);
    assert.deepStrictEqual(broken, []);
  });

  it('a dropped notification is reported without an id', async () => {
    const note = Buffer.alloc(maxMessageBytes + 1, ' ');
    note.write('{"jsonrpc":"2.0","method":"dllm/documentClosed","params":{"document":"');
    assert.deepStrictEqual((await guard([frame(note)])).dropped, [{ bytes: maxMessageBytes + 1, method: 'dllm/documentClosed' }]);
  });

  it('breaks on a header that never ends, or one without a Content-Length, and passes nothing after', async () => {
    const endless = await guard([Buffer.from('Content-Length: 5\r\nX: '), Buffer.alloc(maxHeaderBytes, 'y'), frame('{"id":1}')]);
    assert.deepStrictEqual(endless.broken, [`a message header of more than ${maxHeaderBytes} bytes without its end: the channel cannot be read any further`]);
    assert.strictEqual(endless.out, '');
    for (const header of ['Content-Type: x\r\n\r\n', 'Content-Length: -1\r\n\r\n', 'Content-Length: 1e3\r\n\r\n']) {
      const { broken } = await guard([Buffer.from(header), frame('{"id":1}')]);
      assert.deepStrictEqual(broken, ['a message header without a valid Content-Length: the channel cannot be read any further'], header);
    }
  });

  it('finds the id and method before the params only, never inside a string', () => {
    assert.deepStrictEqual(idAndMethod('{"jsonrpc":"2.0","id":"a\\"b","method":"m","params":{"id":3'), { id: 'a"b', method: 'm' });
    assert.deepStrictEqual(idAndMethod('{"jsonrpc":"2.0","method":"m","params":{"id":3,"method":"n"'), { method: 'm' });
    assert.deepStrictEqual(idAndMethod('{"params":{"x":"\\"id\\":4"},"id":5'), {});
    assert.deepStrictEqual(idAndMethod('{"id": -12 , "method" : "dllm/status"}'), { id: -12, method: 'dllm/status' });
  });
});

function chunksOf(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) out.push(buffer.subarray(at, at + size));
  return out;
}
