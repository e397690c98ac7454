import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  VULKAN_LOADER,
  cpuThreads,
  cudaBinariesInstalled,
  providerCandidates,
  providerPlan,
  sharedLibraryFound,
  type LibrarySearch,
  type PlatformFacts,
} from '../../../src/engine/providers';
import { tempDir } from './fixtures';

describe('engine/providers', () => {
  const linux: PlatformFacts = { platform: 'linux', arch: 'x64', cudaInstalled: false, vulkanLoader: true };
  const other = { arch: 'x64', cudaInstalled: false, vulkanLoader: false };
  it('tries GPU providers one at a time, then CPU', () => {
    assert.deepEqual(providerCandidates('cpu', linux), ['cpu']);
    assert.deepEqual(providerCandidates('auto', linux), ['webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('gpu', { ...linux, cudaInstalled: true }), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('auto', { ...other, platform: 'win32' }), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(providerCandidates('gpu', { ...other, platform: 'darwin', arch: 'arm64' }), ['coreml', 'cpu']);
    assert.deepEqual(providerCandidates('auto', { ...other, platform: 'freebsd' }), ['cpu']);
  });

  it('does not try WebGPU on Linux without a Vulkan loader, and says why', () => {
    const noVulkan = { ...linux, vulkanLoader: false };
    assert.deepEqual(providerPlan('auto', noVulkan), { candidates: ['cpu'], skipped: [`webgpu not tried: no Vulkan loader (${VULKAN_LOADER}) found`] });
    assert.deepEqual(providerPlan('gpu', { ...noVulkan, cudaInstalled: true }).candidates, ['cuda', 'cpu']);
    // Nothing to skip when the CPU was asked for, nor where WebGPU does not need Vulkan.
    assert.deepEqual(providerPlan('cpu', noVulkan), { candidates: ['cpu'], skipped: [] });
    assert.deepEqual(providerPlan('auto', { ...other, platform: 'win32' }).skipped, []);
    assert.deepEqual(providerPlan('auto', linux).skipped, []);
  });

  it('finds a shared library the way the dynamic loader would, without loading it', () => {
    const t = tempDir();
    try {
      const dir = (name: string): string => {
        fs.mkdirSync(path.join(t.dir, name));
        return path.join(t.dir, name);
      };
      const none: LibrarySearch = { libraryPath: [dir('ld-path')], cacheFile: path.join(t.dir, 'missing.cache'), folders: [dir('lib')] };
      assert.equal(sharedLibraryFound(VULKAN_LOADER, none), false);

      fs.writeFileSync(path.join(t.dir, 'ld-path', VULKAN_LOADER), '');
      assert.equal(sharedLibraryFound(VULKAN_LOADER, none), true, 'in an LD_LIBRARY_PATH folder');
      fs.rmSync(path.join(t.dir, 'ld-path', VULKAN_LOADER));

      fs.writeFileSync(path.join(t.dir, 'lib', VULKAN_LOADER), '');
      assert.equal(sharedLibraryFound(VULKAN_LOADER, none), true, 'in a default folder');
      fs.rmSync(path.join(t.dir, 'lib', VULKAN_LOADER));

      // ldconfig's cache: a header, then NUL-terminated names and paths.
      const cache = (entries: string[]): LibrarySearch => {
        const file = path.join(t.dir, 'ld.so.cache');
        fs.writeFileSync(file, Buffer.concat([Buffer.from('glibc-ld.so.cache1.1\x01\x02\0', 'latin1'), ...entries.map((e) => Buffer.from(`${e}\0`, 'latin1'))]));
        return { ...none, cacheFile: file };
      };
      assert.equal(sharedLibraryFound(VULKAN_LOADER, cache(['libc.so.6', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1'])), true);
      assert.equal(sharedLibraryFound(VULKAN_LOADER, cache(['libvulkan.so.1', 'libc.so.6'])), true);
      assert.equal(sharedLibraryFound(VULKAN_LOADER, cache(['libc.so.6', 'libvulkan.so.1.3.239', 'libnotlibvulkan.so.1'])), false);
    } finally {
      t.remove();
    }
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
