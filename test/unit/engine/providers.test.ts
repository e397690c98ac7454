import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cpuThreads, cudaBinariesInstalled, providerCandidates } from '../../../src/engine/providers';
import { tempDir } from './fixtures';

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
