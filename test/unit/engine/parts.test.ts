import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Canvas } from '../../../src/engine/canvas';
import { bundledModelDir, loadParts } from '../../../src/engine/engine';
import { cpuThreads, cudaBinariesInstalled, providerCandidates } from '../../../src/engine/providers';
import { logitRows } from '../../../src/engine/runners/full';
import { canvasOffset, contextTokens } from '../../../src/engine/runners/model';
import { contractMismatch, dimsMismatch } from '../../../src/engine/session';
import { tempDir } from './fixtures';

describe('engine/canvas', () => {
  const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(96 + i)).join('');

  it('the middle ends at the first pad; later positions do not matter', () => {
    const c = new Canvas(6, 0, new Set([1]));
    assert.equal(c.activeLength(), 6);
    c.commit(0, 2, 0.9, 0);
    c.commit(2, 1, 0.8, 0);
    assert.equal(c.firstEnd(), 2);
    assert.deepEqual(c.maskedActive(), [1]);
    assert.equal(c.isDone(), false);
    c.commit(1, 3, 0.7, 1);
    assert.equal(c.isDone(), true);
    assert.deepEqual(c.middleTokens(), [2, 3]);
    c.remask(2);
    assert.equal(c.isDone(), false);
    assert.deepEqual(c.maskedActive(), [2, 3, 4, 5]);
    assert.equal(c.commitPass[2], -1);
  });

  it('progress text shows masked positions as the glyph, up to the first pad', () => {
    const c = new Canvas(6, 0, new Set([1]));
    c.commit(0, 2, 0.9, 0);
    c.commit(1, 3, 0.9, 0);
    c.commit(3, 4, 0.9, 0);
    c.commit(5, 1, 0.9, 0);
    assert.equal(c.progressText(decode, '_'), 'bc_d_');
    assert.deepEqual(c.middleTokens(), [2, 3], 'a cancelled run keeps the committed start');
    assert.equal(c.committedCount(), 4);
  });
});

describe('engine/providers', () => {
  const linux = { platform: 'linux' as const, arch: 'x64', cudaInstalled: false };
  it('tries GPU providers one at a time, then CPU', () => {
    assert.deepEqual(providerCandidates('cpu', linux), ['cpu']);
    assert.deepEqual(providerCandidates('auto', linux), ['webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('gpu', { ...linux, cudaInstalled: true }), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('auto', { platform: 'win32', arch: 'x64', cudaInstalled: false }), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('gpu', { platform: 'darwin', arch: 'arm64', cudaInstalled: false }), ['coreml', 'cpu']);
    assert.deepEqual(providerCandidates('auto', { platform: 'freebsd', arch: 'x64', cudaInstalled: false }), ['cpu']);
  });

  it('finds CUDA binaries only where the provider library is', () => {
    const t = tempDir();
    try {
      assert.equal(cudaBinariesInstalled(t.dir), false);
      fs.writeFileSync(path.join(t.dir, 'libonnxruntime_providers_cuda.so'), '');
      assert.equal(cudaBinariesInstalled(t.dir), true);
      assert.equal(cudaBinariesInstalled(path.join(t.dir, 'missing')), false);
    } finally {
      t.remove();
    }
  });

  it('uses the requested threads, else physical cores capped at 4', () => {
    assert.equal(cpuThreads(3), 3);
    const auto = cpuThreads(0);
    assert.ok(auto >= 1 && auto <= 4);
    assert.equal(cpuThreads(undefined), auto);
  });
});

describe('engine/runners: layout', () => {
  const layout = { head: [2, 5], prefix: [10, 11, 12], canvasLength: 4, suffix: [20, 21], tail: [3] };

  it('context positions skip the canvas', () => {
    assert.equal(canvasOffset(layout), 5);
    assert.deepEqual(contextTokens(layout), { ids: [2, 5, 10, 11, 12, 20, 21, 3], positions: [0, 1, 2, 3, 4, 9, 10, 11] });
  });

  it('shifted logits read the row before each canvas position', () => {
    assert.deepEqual(logitRows(5, 3, false), [5, 6, 7]);
    assert.deepEqual(logitRows(5, 3, true), [4, 5, 6]);
    assert.deepEqual(logitRows(0, 2, true), [0, 0]);
  });

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

describe('engine/loadParts: the bundled model', function () {
  this.timeout(60000);

  it('opens on CPU: its graphs take as many tokens as its manifest claims', async () => {
    const parts = await loadParts({ modelDir: bundledModelDir(path.resolve(__dirname, '..', '..', '..')), device: 'cpu', threads: 1 });
    try {
      assert.equal(parts.manifest.contract, 'split');
      assert.equal(parts.device.provider, 'cpu');
    } finally {
      await Promise.all([parts.model.dispose(), parts.scorer?.dispose()]);
    }
  });
});
