import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CancellationTokenSource, ProgressType, ResponseError } from 'vscode-jsonrpc/node';
import {
  DocumentClosedNotification,
  ErrorCodes,
  ExitNotification,
  InfillRequest,
  InitializeRequest,
  ShutdownRequest,
  StatusRequest,
  type InfillProgressNotification,
} from '../../../src/protocol/protocol';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { fakeCompletion } from '../server/fakeEngine';
import { makeModelDir, openChannel, type Channel } from './inMemoryChannel';

function infillParams(overrides: Partial<InfillRequest.Params> = {}): InfillRequest.Params {
  return { prefix: 'def add(a, b):\n    ', suffix: '\n', language: 'python', maxTokens: 16, stepBudget: 8, sampler: { kind: 'saber' }, mode: 'command', ...overrides };
}

async function rejectsWith(promise: Promise<unknown>, code: number, pattern: RegExp): Promise<ResponseError<unknown>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
    assert.strictEqual(error.code, code, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected the request to fail');
}

describe('protocol round trip (in-memory streams, real framing)', () => {
  let channel: Channel;
  afterEach(() => channel.dispose());

  describe('before initialize', () => {
    beforeEach(() => (channel = openChannel()));

    it('answers dllm/infill with NotInitialized', async () => {
      await rejectsWith(channel.client.sendRequest(InfillRequest.type, infillParams()), ErrorCodes.NotInitialized, /initialize first/);
    });

    it('answers dllm/status with zero counters', async () => {
      const status = await channel.client.sendRequest(StatusRequest.type);
      assert.strictEqual(status.received, 0);
      assert.ok(status.rssBytes > 0);
    });

    it('initialize with an empty modelDir loads the bundled model', async () => {
      const result = await channel.client.sendRequest(InitializeRequest.type, { device: 'cpu', modelDir: '' });
      assert.strictEqual(result.model.path, channel.modelDir);
      assert.strictEqual(result.device.provider, 'cpu');
      assert.deepStrictEqual(result.warnings, ['fake engine: completions are scripted']);
      assert.strictEqual(result.startupMs, 1234);
    });

    it('a missing model folder fails with ModelLoadFailed naming the path and the reason', async () => {
      const missing = path.join(channel.modelDir, 'no-such-model');
      const error = await rejectsWith(
        channel.client.sendRequest(InitializeRequest.type, { device: 'cpu', modelDir: missing }),
        ErrorCodes.ModelLoadFailed,
        /does not exist/,
      );
      assert.ok(error.message.includes(missing), error.message);
      assert.deepStrictEqual(error.data, { path: missing });
      // The failure is remembered and explained to later requests.
      await rejectsWith(channel.client.sendRequest(InfillRequest.type, infillParams()), ErrorCodes.NotInitialized, /does not exist/);
    });

    it('a folder without a manifest, or with a broken one, fails with the reason', async () => {
      const empty = makeModelDir();
      fs.rmSync(path.join(empty, 'dllm.json'));
      await rejectsWith(channel.client.sendRequest(InitializeRequest.type, { device: 'cpu', modelDir: empty }), ErrorCodes.ModelLoadFailed, /no dllm\.json/);
      const broken = makeModelDir('{"format": 1,');
      await rejectsWith(channel.client.sendRequest(InitializeRequest.type, { device: 'cpu', modelDir: broken }), ErrorCodes.ModelLoadFailed, /dllm\.json is not valid JSON/);
      for (const dir of [empty, broken]) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("initialize's context cache size reaches the engine in bytes; absent, the engine's default", async () => {
      await channel.client.sendRequest(InitializeRequest.type, { device: 'auto', contextCacheMiB: 3 });
      assert.strictEqual(channel.loader.last?.loadOptions?.contextCacheBytes, 3 * 2 ** 20);
      channel.dispose();
      channel = openChannel();
      await channel.client.sendRequest(InitializeRequest.type, { device: 'auto' });
      assert.strictEqual(channel.loader.last?.loadOptions?.contextCacheBytes, undefined);
    });

    it('bad initialize parameters are InvalidParams', async () => {
      await rejectsWith(
        channel.client.sendRequest(InitializeRequest.type, { device: 'tpu' } as unknown as InitializeRequest.Params),
        ErrorCodes.InvalidParams,
        /params\.device must be one of 'auto', 'cpu', 'gpu'/,
      );
    });
  });

  describe('when the engine fails to load', () => {
    it('reports the engine reason with the path, and the server stays up', async () => {
      channel = openChannel({}, () => Promise.reject(new Error('denoise.onnx: protobuf parsing failed')));
      const error = await rejectsWith(channel.client.sendRequest(InitializeRequest.type, { device: 'cpu' }), ErrorCodes.ModelLoadFailed, /protobuf parsing failed/);
      assert.ok(error.message.includes(channel.modelDir), error.message);
      assert.ok(channel.logs.some((l) => l.level === 'error' && l.message.includes('protobuf parsing failed')), 'the failure is logged');
      assert.ok((await channel.client.sendRequest(StatusRequest.type)).uptimeMs >= 0, 'still answering');
      assert.deepStrictEqual(channel.exits, [], 'still running');
    });

    it("names the model's file at fault relative to the folder", async () => {
      channel = openChannel({}, (options) => Promise.reject(new ModelLoadError(path.join(options.modelDir, 'denoise.onnx'), 'file is truncated')));
      const error = await rejectsWith(channel.client.sendRequest(InitializeRequest.type, { device: 'cpu' }), ErrorCodes.ModelLoadFailed, /denoise\.onnx: file is truncated$/);
      assert.strictEqual(error.message, `Cannot load the model in "${channel.modelDir}": denoise.onnx: file is truncated`);
    });
  });

  describe('with a model', () => {
    beforeEach(async () => {
      channel = openChannel({ passes: 4, passDelayMs: 5 });
      await channel.client.sendRequest(InitializeRequest.type, { device: 'auto', clientName: 'unit test' });
    });

    it('frames every message with a Content-Length that counts bytes, not characters', async () => {
      channel.serverBytes.length = 0;
      await channel.client.sendRequest(InfillRequest.type, infillParams({ prefix: 'π = "ü€😀"\n' }));
      const raw = Buffer.concat(channel.serverBytes);
      let offset = 0;
      let messages = 0;
      while (offset < raw.length) {
        const headerEnd = raw.indexOf('\r\n\r\n', offset);
        assert.ok(headerEnd > 0, 'header terminator');
        const header = raw.subarray(offset, headerEnd).toString('ascii');
        const length = Number(/Content-Length: (\d+)/.exec(header)?.[1]);
        const body = raw.subarray(headerEnd + 4, headerEnd + 4 + length);
        assert.strictEqual(body.length, length, 'the body is exactly Content-Length bytes');
        JSON.parse(body.toString('utf8'));
        offset = headerEnd + 4 + length;
        messages++;
      }
      assert.ok(messages >= 1);
    });

    it('reads a request that arrives one byte at a time', async () => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'bytewise', method: 'dllm/status' }), 'utf8');
      const framed = Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
      channel.serverBytes.length = 0;
      for (const byte of framed) channel.clientToServer.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const answer = Buffer.concat(channel.serverBytes).toString('utf8');
      assert.match(answer, /"id":"bytewise"/);
      assert.match(answer, /"rssBytes":\d+/);
    });

    it('round-trips an infill with the text exactly as sent: unicode, tabs, empty sides', async () => {
      const prefix = 'const s = "ü€😀";\nfunction f() {\n\t';
      const suffix = '\n}\n';
      const result = await channel.client.sendRequest(InfillRequest.type, infillParams({ prefix, suffix, language: 'typescript' }));
      assert.strictEqual(result.finishReason, 'stop');
      assert.strictEqual(result.text, fakeCompletion({ ...infillParams(), prefix, suffix }));
      const seen = channel.loader.last?.inputs.at(-1);
      assert.strictEqual(seen?.prefix, prefix);
      assert.strictEqual(seen?.suffix, suffix);
      assert.strictEqual(seen?.language, 'typescript');

      const empty = await channel.client.sendRequest(InfillRequest.type, infillParams({ prefix: '', suffix: '' }));
      assert.strictEqual(empty.text, '<middle of 0|0>');
    });

    it('rejects bad infill parameters with InvalidParams naming the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ ...infillParams(), maxTokens: 0 }, /params\.maxTokens must be an integer from 1/],
        [{ ...infillParams(), stepBudget: -1 }, /params\.stepBudget/],
        [{ ...infillParams(), prefix: 42 }, /params\.prefix must be a string/],
        [{ ...infillParams(), sampler: { kind: 'greedy' } }, /params\.sampler\.kind must be one of/],
        [{ ...infillParams(), sampler: { kind: 'threshold', threshold: 2 } }, /params\.sampler\.threshold must be a number from 0 to 1/],
        [{ ...infillParams(), mode: 'batch' }, /params\.mode/],
        [{ ...infillParams(), suffix: 'a\r\nb' }, /params\.suffix has a carriage return at offset 1: line ends must be LF/],
      ];
      for (const [params, pattern] of cases) {
        await rejectsWith(channel.client.sendRequest(InfillRequest.type, params as InfillRequest.Params), ErrorCodes.InvalidParams, pattern);
      }
    });

    it('sends progress after every forward pass to the request token', async () => {
      const seen: InfillProgressNotification.Params['value'][] = [];
      const disposable = channel.client.onProgress(new ProgressType<InfillProgressNotification.Params['value']>(), 'p1', (value) => seen.push(value));
      const result = await channel.client.sendRequest(InfillRequest.type, infillParams({ progressToken: 'p1' }));
      disposable.dispose();
      assert.deepStrictEqual(
        seen.map((v) => v.forwardPasses),
        [1, 2, 3, 4],
      );
      assert.strictEqual(seen.at(-1)?.text, result.text);
      assert.ok(seen[0]?.text.includes('░'), 'masked positions show the mask glyph');
    });

    it('$/cancelRequest stops the infill between passes with finishReason cancelled', async () => {
      const source = new CancellationTokenSource();
      const disposable = channel.client.onProgress(new ProgressType<InfillProgressNotification.Params['value']>(), 'c1', () => source.cancel());
      const result = await channel.client.sendRequest(InfillRequest.type, infillParams({ progressToken: 'c1' }), source.token);
      disposable.dispose();
      assert.strictEqual(result.finishReason, 'cancelled');
      assert.ok(result.stats.forwardPasses < 4, `stopped early after ${result.stats.forwardPasses} passes`);
      const status = await channel.client.sendRequest(StatusRequest.type);
      assert.strictEqual(status.cancelled, 1);
      assert.strictEqual(status.completed, 0);
      assert.strictEqual(status.inFlight, 0);
    });

    it('a new inline request supersedes the older ones; commands run to the end', async () => {
      const command = channel.client.sendRequest(InfillRequest.type, infillParams({ mode: 'command', prefix: 'c' }));
      const inline = [1, 2, 3].map((i) => channel.client.sendRequest(InfillRequest.type, infillParams({ mode: 'inline', prefix: 'i'.repeat(i) })));
      const results = await Promise.all([command, ...inline]);
      assert.deepStrictEqual(
        results.map((r) => r.finishReason),
        ['stop', 'cancelled', 'cancelled', 'stop'],
      );
      assert.strictEqual(channel.loader.last?.maxConcurrent, 1, 'one infill at a time');
      const status = await channel.client.sendRequest(StatusRequest.type);
      assert.deepStrictEqual([status.received, status.completed, status.cancelled, status.inFlight], [4, 2, 2, 0]);
    });

    it('a second initialize for the same model returns the same facts; another model is refused', async () => {
      const again = await channel.client.sendRequest(InitializeRequest.type, { device: 'auto' });
      assert.strictEqual(again.model.path, channel.modelDir);
      await rejectsWith(channel.client.sendRequest(InitializeRequest.type, { device: 'auto', modelDir: '/elsewhere' }), -32600, /restart the server/);
    });

    it('shutdown releases the model, exit ends the process with 0', async () => {
      await channel.client.sendRequest(ShutdownRequest.type);
      assert.strictEqual(channel.loader.last?.disposed, true);
      await rejectsWith(channel.client.sendRequest(InfillRequest.type, infillParams()), ErrorCodes.NotInitialized, /shutting down/);
      await channel.client.sendNotification(ExitNotification.type);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepStrictEqual(channel.exits.map((e) => e.code), [0]);
    });

    it('exits with code 1 when the client goes away without shutdown (stdin closed)', async () => {
      channel.clientToServer.end();
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepStrictEqual(channel.exits.map((e) => e.code), [1]);
      assert.match(channel.exits[0]!.reason, /stdin ended/);
    });

    it("passes the document's URI to the engine, and tells it when the document closes; a malformed notification is only logged", async () => {
      await channel.client.sendRequest(InfillRequest.type, infillParams({ mode: 'inline', document: 'file:///a.py' }));
      assert.strictEqual(channel.loader.last?.inputs.at(-1)?.document, 'file:///a.py');
      await channel.client.sendNotification(DocumentClosedNotification.type, { document: 'file:///a.py' });
      await channel.client.sendNotification(DocumentClosedNotification.method, { uri: 'file:///b.py' });
      // Notifications have no answer: a request after them is answered after they were handled.
      await channel.client.sendRequest(StatusRequest.type);
      assert.deepStrictEqual(channel.loader.last?.forgotten, ['file:///a.py']);
      assert.ok(channel.logs.some((l) => l.level === 'warn' && /Ignored dllm\/documentClosed: params\.document must be a string/.test(l.message)), JSON.stringify(channel.logs));
    });

    it('logs the loaded model for the client', () => {
      assert.ok(channel.logs.some((l) => l.level === 'info' && /fake-model .* ready on cpu.*for unit test/.test(l.message)), JSON.stringify(channel.logs));
    });
  });
});
