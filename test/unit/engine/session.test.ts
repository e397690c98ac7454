import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { graphTokenAxes } from '../../../src/engine/graphLimits';
import { FULL_IO } from '../../../src/engine/runners/full';
import { floatTensor, model, node, TensorType, valueInfo } from '../../../src/engine/runners/onnxProto';
import { contractMismatch, dimsMismatch, openSessions } from '../../../src/engine/session';
import { tempDir } from './fixtures';

/** y = x · W with W [2, 3] in `weights.bin` at a page-aligned offset, as export.py writes model folders. */
function writeExternalGraph(dir: string, file: string): Float32Array {
  const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const offset = 4096;
  const bin = new Uint8Array(offset + w.byteLength);
  bin.set(new Uint8Array(w.buffer), offset);
  fs.writeFileSync(path.join(dir, 'weights.bin'), bin);
  const bytes = model(
    {
      name: 'external',
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
      inputs: [valueInfo('x', TensorType.float, [1, 2])],
      outputs: [valueInfo('y', TensorType.float, [1, 3])],
      initializers: [floatTensor('w', [2, 3], w, { location: 'weights.bin', offset })],
    },
    17,
  );
  fs.writeFileSync(path.join(dir, file), bytes);
  return w;
}

/** logits = input_ids, an int64 tensor of the given shape: only its metadata matters here. */
function writeIdentityGraph(file: string, shape: readonly (number | string)[]): void {
  const graph = model(
    {
      name: 'identity',
      nodes: [node('Identity', ['input_ids'], ['logits'])],
      inputs: [valueInfo('input_ids', TensorType.int64, shape)],
      outputs: [valueInfo('logits', TensorType.int64, shape)],
    },
    17,
  );
  fs.writeFileSync(file, graph);
}

describe('engine/session', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.remove());

  it("opens a graph whose weights are external data beside it, not in the working directory", async () => {
    writeExternalGraph(t.dir, 'g.onnx');
    const { sessions } = await openSessions({ g: { file: path.join(t.dir, 'g.onnx'), inputs: ['x'], outputs: ['y'] } }, { device: 'cpu', threads: 1 });
    try {
      const out = await sessions.g.run({ x: new ort.Tensor('float32', Float32Array.from([1, 10]), [1, 2]) });
      assert.deepEqual(Array.from(out.y!.data as Float32Array), [41, 52, 63]);
    } finally {
      await sessions.g.release();
    }
  });

  it('a missing weights file fails as a model load error naming the graph', async () => {
    writeExternalGraph(t.dir, 'g.onnx');
    fs.rmSync(path.join(t.dir, 'weights.bin'));
    const file = path.join(t.dir, 'g.onnx');
    await assert.rejects(openSessions({ g: { file, inputs: ['x'], outputs: ['y'] } }, { device: 'cpu', threads: 1 }), (e: unknown) => {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.equal(e.path, file);
      return true;
    });
  });

  it('a graph whose fixed token axis is shorter than the manifest claims fails the load, naming the graph', async () => {
    const file = path.join(t.dir, 'model.onnx');
    const tokenAxes = graphTokenAxes({ maxContextTokens: 24, maxCanvasTokens: 8 }).full;
    writeIdentityGraph(file, [1, 16]);
    await assert.rejects(openSessions({ model: { file, ...FULL_IO, tokenAxes } }, { device: 'cpu', threads: 1 }), (e: unknown) => {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.equal(e.path, file);
      assert.match(e.reason, /"input_ids" has a fixed size of 16 .*maxContextTokens \+ maxCanvasTokens = 32/);
      return true;
    });
    writeIdentityGraph(file, [1, 'sequence']);
    const { sessions } = await openSessions({ model: { file, ...FULL_IO, tokenAxes } }, { device: 'cpu', threads: 1 });
    await sessions.model.release();
  });

  it("'gpu' on Linux without a Vulkan loader runs on the CPU without trying WebGPU, and the warning says why", async () => {
    const file = path.join(t.dir, 'model.onnx');
    writeIdentityGraph(file, [1, 'sequence']);
    const logged: string[] = [];
    const platform = { platform: 'linux' as const, arch: 'x64', cudaInstalled: false, vulkanLoader: false };
    const { sessions, device, warnings } = await openSessions({ model: { file, ...FULL_IO } }, { device: 'gpu', threads: 1, platform, log: (m) => logged.push(m) });
    await sessions.model.release();
    assert.deepEqual(device, { provider: 'cpu', kind: 'cpu', threads: 1 });
    assert.deepEqual(warnings, ['no GPU provider could start (webgpu not tried: no Vulkan loader (libvulkan.so.1) found); using CPU']);
    assert.deepEqual(logged, ['execution provider webgpu not tried: no Vulkan loader (libvulkan.so.1) found', 'execution provider cpu started']);
  });
});

describe('engine/session: graph checks', () => {
  it('graph dims are checked against the manifest where the graph states numbers', () => {
    const want = { keys: [6, 1, 4, null, 64], logits: [1, null, 4096] };
    const meta = (name: string, shape: (number | string)[]) => ({ name, isTensor: true as const, type: 'float32' as const, shape });
    assert.equal(dimsMismatch(want, [meta('keys', [6, 'b', 4, 'C', 64]), meta('logits', ['b', 'N', 4096]), meta('other', [1])]), undefined);
    assert.match(dimsMismatch(want, [meta('logits', ['b', 'N', 4000])])!, /"logits" has shape \[\?, \?, 4000\] but dllm.json implies \[1, \?, 4096\]/);
    assert.match(dimsMismatch(want, [meta('keys', [8, 1, 4, 'C', 64])])!, /"keys"/);
    assert.match(dimsMismatch(want, [meta('keys', [6, 1, 4, 64])])!, /"keys"/, 'rank differs');
  });

  it('graph names are checked against the contract', () => {
    const spec = { inputs: ['input_ids', 'position_ids'], outputs: ['keys', 'values'] };
    assert.equal(contractMismatch(spec, ['position_ids', 'input_ids'], ['keys', 'values', 'extra']), undefined);
    assert.match(contractMismatch(spec, ['input_ids'], ['keys', 'values'])!, /inputs \[input_ids\].*expected inputs \[input_ids, position_ids\]/);
    assert.match(contractMismatch(spec, ['input_ids', 'position_ids'], ['logits'])!, /outputs \[logits\]/);
  });
});
