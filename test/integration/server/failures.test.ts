import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineClientError } from '../../../src/client/engineClient';
import { ErrorCodes } from '../../../src/protocol/protocol';
import { modelUnderTest, infillParams, requireBuildAndModel, serverModule, startHarness, startWithModel } from './harness';

/** A copy of the bundled model whose files are links, except those a test replaces. */
function modelCopy(replace: (dir: string, manifest: { files: Record<string, string> }) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bad-model-'));
  for (const name of fs.readdirSync(modelUnderTest)) fs.symlinkSync(path.join(modelUnderTest, name), path.join(dir, name));
  const manifest = JSON.parse(fs.readFileSync(path.join(modelUnderTest, 'dllm.json'), 'utf8')) as { files: Record<string, string> };
  replace(dir, manifest);
  return dir;
}

/** Replaces a linked file of a model copy with real content. */
function overwrite(dir: string, name: string, content: string | Buffer): void {
  fs.rmSync(path.join(dir, name));
  fs.writeFileSync(path.join(dir, name), content);
}

async function initializeFailure(modelDir: string): Promise<EngineClientError> {
  const h = await startHarness();
  try {
    const error = await h.client.initialize({ device: 'cpu', modelDir }).then(
      () => assert.fail('initialize should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineClientError, String(error));
    // The process stays up so the client can report the failure, and then refuses infills.
    assert.ok(h.client.running);
    await assert.rejects(h.client.infill(infillParams()), (e: unknown) => e instanceof EngineClientError && e.code === ErrorCodes.NotInitialized);
    return error;
  } finally {
    await h.client.stop();
  }
}

describe('the inference child: bad models, crashes, a vanished parent', function () {
  const temporary: string[] = [];
  before(requireBuildAndModel);
  after(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('a missing model folder: initialize fails naming the path and the reason', async () => {
    const missing = path.join(os.tmpdir(), 'dllm-no-such-model');
    const error = await initializeFailure(missing);
    assert.strictEqual(error.code, ErrorCodes.ModelLoadFailed);
    assert.strictEqual(error.message, `Cannot load the model in "${missing}": the folder does not exist`);
  });

  it('a manifest that is not JSON: initialize fails naming the path and the reason', async () => {
    const dir = modelCopy((d) => overwrite(d, 'dllm.json', '{ "format": 1, "name": '));
    temporary.push(dir);
    const error = await initializeFailure(dir);
    assert.strictEqual(error.code, ErrorCodes.ModelLoadFailed);
    assert.ok(error.message.startsWith(`Cannot load the model in "${dir}": dllm.json is not valid JSON`), error.message);
  });

  it('a truncated ONNX graph: initialize fails naming the path and the file', async () => {
    let graph = '';
    const dir = modelCopy((d, manifest) => {
      graph = Object.entries(manifest.files).find(([role]) => role !== 'tokenizer')?.[1] ?? '';
      const bytes = fs.readFileSync(path.join(modelUnderTest, graph));
      overwrite(d, graph, bytes.subarray(0, Math.floor(bytes.length / 3)));
    });
    temporary.push(dir);
    const error = await initializeFailure(dir);
    assert.strictEqual(error.code, ErrorCodes.ModelLoadFailed);
    assert.ok(error.message.startsWith(`Cannot load the model in "${dir}": `), error.message);
    assert.ok(error.message.includes(graph), `names ${graph}: ${error.message}`);
  });

  it('a child killed mid-request: the request rejects at once and onExit reports it', async function () {
    // A deadline far beyond the test's own timeout: only the exit can end the request in time.
    const h = await startWithModel({ deadlines: { command: 600_000 } });
    let firstPass: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (firstPass = resolve));
    const pending = h.client.infill(infillParams({ maxTokens: 64, stepBudget: 64, sampler: { kind: 'lowConfidence' } }), undefined, () => firstPass());
    await running;
    h.client.kill('SIGKILL');
    const error = await pending.then(
      () => assert.fail('the request should reject'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineClientError);
    assert.strictEqual(error.kind, 'exited');
    assert.match(error.message, /killed by SIGKILL/);
    assert.deepStrictEqual(h.exits, [{ code: null, signal: 'SIGKILL', expected: false }]);
    assert.strictEqual(h.client.running, false);
  });

  it('exits, saying why, when its stdin closes (the parent died)', async () => {
    const child = spawn(process.execPath, [serverModule], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.end();
    assert.strictEqual(await exited, 1);
    assert.match(stderr, /exiting with code 1: the connection to the client closed \(stdin ended\)/);
    assert.strictEqual(stdout, '', 'nothing but framed messages ever goes to stdout');
  });
});
