/**
 * Which onnxruntime execution providers to try, in order, for a device setting on this platform.
 * A session is created with one provider at a time (asking for ['webgpu', 'cpu'] without a GPU
 * adapter throws instead of falling back), so the caller walks this list itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeviceSetting } from '../protocol/protocol';

export type ProviderName = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

export interface PlatformFacts {
  platform: NodeJS.Platform;
  arch: string;
  /** CUDA provider binaries are installed next to onnxruntime-node's binding. */
  cudaInstalled: boolean;
}

/** The GPU providers worth trying on a platform, best first. */
export function gpuProviders(facts: PlatformFacts): ProviderName[] {
  switch (facts.platform) {
    case 'linux':
      return facts.arch === 'x64' && facts.cudaInstalled ? ['cuda', 'webgpu'] : ['webgpu'];
    case 'win32':
      return ['dml', 'webgpu'];
    case 'darwin':
      return ['coreml'];
    default:
      return [];
  }
}

/** Providers to try in order; the list always ends with `cpu`. */
export function providerCandidates(setting: DeviceSetting, facts: PlatformFacts): ProviderName[] {
  return setting === 'cpu' ? ['cpu'] : [...gpuProviders(facts), 'cpu'];
}

export function isGpuProvider(p: ProviderName): boolean {
  return p !== 'cpu';
}

/** Folder of onnxruntime-node's native binding for this platform, if it can be found. */
export function bindingFolder(): string | undefined {
  try {
    const entry = require.resolve('onnxruntime-node');
    return path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** CUDA's provider library ships only with `ONNXRUNTIME_NODE_INSTALL=cuda12`; look for it. */
export function cudaBinariesInstalled(folder = bindingFolder()): boolean {
  if (folder === undefined) return false;
  try {
    return fs.readdirSync(folder).some((f) => f.startsWith('libonnxruntime_providers_cuda'));
  } catch {
    return false;
  }
}

export function currentPlatform(): PlatformFacts {
  return { platform: process.platform, arch: process.arch, cudaInstalled: cudaBinariesInstalled() };
}

/** Most CPU threads worth using: intra-op scaling flattens beyond a few cores for a small model. */
export const MAX_DEFAULT_THREADS = 4;

/** Requested threads if positive, else the number of physical cores, at most MAX_DEFAULT_THREADS. */
export function cpuThreads(requested?: number): number {
  if (requested !== undefined && Number.isInteger(requested) && requested > 0) return requested;
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, physicalCores()));
}

/** Physical cores: exact on Linux (/proc/cpuinfo), else logical cores halved where SMT is usual. */
export function physicalCores(): number {
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (process.platform === 'linux') {
    const counted = countLinuxPhysicalCores();
    if (counted > 0) return Math.min(counted, logical);
  }
  if (process.platform === 'darwin' && process.arch === 'arm64') return logical;
  return Math.max(1, Math.floor(logical / 2));
}

function countLinuxPhysicalCores(): number {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    let physical = '0';
    for (const line of info.split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim());
      if (key === 'physical id') physical = value ?? '0';
      else if (key === 'core id') cores.add(`${physical}:${value}`);
    }
    return cores.size;
  } catch {
    return 0;
  }
}
