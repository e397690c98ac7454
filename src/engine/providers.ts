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

/** What WebGPU's Vulkan backend (Dawn) asks the dynamic loader for on Linux. */
export const VULKAN_LOADER = 'libvulkan.so.1';

export interface PlatformFacts {
  platform: NodeJS.Platform;
  arch: string;
  /** CUDA provider binaries are installed next to onnxruntime-node's binding. */
  cudaInstalled: boolean;
  /** Linux only: the Vulkan loader (VULKAN_LOADER) is where the dynamic loader would look. */
  vulkanLoader: boolean;
}

/** The GPU providers this platform's onnxruntime-node build has, best first. */
function platformGpuProviders(facts: PlatformFacts): ProviderName[] {
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

/**
 * Why `provider` cannot start on this machine, known without trying it; undefined when it may.
 * On Linux WebGPU runs on Dawn's Vulkan backend, its only one there: without the loader, trying
 * it only makes Dawn print "Couldn't load Vulkan" on stderr before failing.
 */
export function providerUnavailable(provider: ProviderName, facts: PlatformFacts): string | undefined {
  if (provider === 'webgpu' && facts.platform === 'linux' && !facts.vulkanLoader) return `no Vulkan loader (${VULKAN_LOADER}) found`;
  return undefined;
}

export interface ProviderPlan {
  /** Providers to try in order; always ends with `cpu`. */
  candidates: ProviderName[];
  /** GPU providers left out, each with why (`webgpu not tried: no Vulkan loader …`). */
  skipped: string[];
}

/** Which providers to try for a device setting, and which GPU providers are not worth trying. */
export function providerPlan(setting: DeviceSetting, facts: PlatformFacts): ProviderPlan {
  if (setting === 'cpu') return { candidates: ['cpu'], skipped: [] };
  const candidates: ProviderName[] = [];
  const skipped: string[] = [];
  for (const provider of platformGpuProviders(facts)) {
    const why = providerUnavailable(provider, facts);
    if (why === undefined) candidates.push(provider);
    else skipped.push(`${provider} not tried: ${why}`);
  }
  return { candidates: [...candidates, 'cpu'], skipped };
}

/** Providers to try in order; the list always ends with `cpu`. */
export function providerCandidates(setting: DeviceSetting, facts: PlatformFacts): ProviderName[] {
  return providerPlan(setting, facts).candidates;
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

export interface LibrarySearch {
  /** LD_LIBRARY_PATH's folders, searched first. */
  libraryPath: readonly string[];
  /** The dynamic loader's cache (ldconfig's /etc/ld.so.cache), which lists the configured folders' libraries. */
  cacheFile: string;
  /** Folders searched last: the loader's defaults, and the binding's own folder (its RUNPATH is $ORIGIN). */
  folders: readonly string[];
}

export function defaultLibrarySearch(env: NodeJS.ProcessEnv = process.env): LibrarySearch {
  const binding = bindingFolder();
  return {
    libraryPath: (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== ''),
    cacheFile: '/etc/ld.so.cache',
    folders: ['/lib', '/usr/lib', '/lib64', '/usr/lib64', ...(binding === undefined ? [] : [binding])],
  };
}

/**
 * Whether dlopen(`name`) would find a file, looked up the way the loader does (without loading
 * it: loading is what prints the warning). A false "found" only costs the attempt, as before.
 */
export function sharedLibraryFound(name: string, search: LibrarySearch): boolean {
  const inFolder = (dir: string): boolean => fs.existsSync(path.join(dir, name));
  return search.libraryPath.some(inFolder) || inLoaderCache(name, search.cacheFile) || search.folders.some(inFolder);
}

/** The cache's string table holds each library's name and full path, each ending in a NUL. */
function inLoaderCache(name: string, cacheFile: string): boolean {
  let cache: Buffer;
  try {
    cache = fs.readFileSync(cacheFile);
  } catch {
    return false;
  }
  const needle = Buffer.from(`${name}\0`, 'latin1');
  for (let at = cache.indexOf(needle); at !== -1; at = cache.indexOf(needle, at + 1)) {
    // A whole name, not the end of a longer one such as libfoo-libvulkan.so.1.
    const before = at === 0 ? 0 : cache[at - 1];
    if (before === 0 || before === 0x2f) return true;
  }
  return false;
}

export function currentPlatform(): PlatformFacts {
  return {
    platform: process.platform,
    arch: process.arch,
    cudaInstalled: cudaBinariesInstalled(),
    vulkanLoader: process.platform === 'linux' && sharedLibraryFound(VULKAN_LOADER, defaultLibrarySearch()),
  };
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
