/**
 * onnxruntime-node sessions for a model's graphs, on the best provider that starts.
 * Providers are tried one at a time; a GPU provider that fails falls back to the next, and
 * finally to CPU. Graph input/output names are checked against the contract at load.
 */
import * as ort from 'onnxruntime-node';
import type { DeviceInfo, DeviceSetting } from '../protocol/protocol';
import { ModelLoadError } from '../modelFolder/errors';
import { firstLineOf } from '../base/errorText';
import { TokenAxes, tokenAxisShortfall } from './graphLimits';
import { PlatformFacts, ProviderName, cpuThreads, currentPlatform, isGpuProvider, providerPlan } from './providers';

/** One graph to open and the names its contract requires. */
export interface GraphSpec {
  file: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Expected dims of named inputs/outputs (null = any); checked where the graph states a number. */
  dims?: Readonly<Record<string, readonly (number | null)[]>>;
  /** Inputs whose token axis must take as many tokens as the manifest claims (graphLimits.ts). */
  tokenAxes?: TokenAxes;
}

export interface OpenedSessions<K extends string> {
  sessions: Record<K, ort.InferenceSession>;
  device: DeviceInfo;
  /** Non-fatal: with device `gpu`, why no GPU provider runs (those that failed or were not tried). */
  warnings: string[];
}

export interface OpenOptions {
  device: DeviceSetting;
  threads?: number;
  /** For tests and odd platforms; defaults to this machine. */
  platform?: PlatformFacts;
  /** Detail lines for the log (each provider tried). */
  log?: (message: string) => void;
}

/** Creates one session per graph, all on the same provider. */
export async function openSessions<K extends string>(graphs: Record<K, GraphSpec>, options: OpenOptions): Promise<OpenedSessions<K>> {
  const { candidates, skipped } = providerPlan(options.device, options.platform ?? currentPlatform());
  const threads = cpuThreads(options.threads);
  // A provider left out for a known reason is reported like one that failed.
  const failures: string[] = [...skipped];
  for (const why of skipped) options.log?.(`execution provider ${why}`);
  for (const provider of candidates) {
    try {
      const sessions = await createAll(graphs, provider, threads);
      options.log?.(`execution provider ${provider} started`);
      const warnings =
        options.device === 'gpu' && !isGpuProvider(provider)
          ? [`no GPU provider could start (${failures.join('; ') || `none for ${process.platform}-${process.arch}`}); using CPU`]
          : [];
      const device: DeviceInfo = isGpuProvider(provider) ? { provider, kind: 'gpu' } : { provider, kind: 'cpu', threads };
      return { sessions, device, warnings };
    } catch (e) {
      if (e instanceof ModelLoadError || !isGpuProvider(provider)) throw e;
      const why = `${provider} failed to start: ${firstLineOf(e)}`;
      failures.push(why);
      options.log?.(`execution provider ${why}`);
    }
  }
  // Unreachable: the candidate list ends with cpu, whose failure throws above.
  throw new Error('no execution provider');
}

async function createAll<K extends string>(graphs: Record<K, GraphSpec>, provider: ProviderName, threads: number): Promise<Record<K, ort.InferenceSession>> {
  const opened: Partial<Record<K, ort.InferenceSession>> = {};
  try {
    for (const key of Object.keys(graphs) as K[]) {
      const spec = graphs[key];
      opened[key] = await createOne(spec, provider, threads);
    }
    return opened as Record<K, ort.InferenceSession>;
  } catch (e) {
    await Promise.all(Object.values<ort.InferenceSession | undefined>(opened).filter((s) => s !== undefined).map((s) => s.release()));
    throw e;
  }
}

/**
 * onnxruntime's worker threads busy-wait between runs by default. Between forward passes, and
 * between requests, that spinning takes the cores from the rest of the machine (the extension
 * host, the editor, the other graph's threads) and made each completion 2-10x slower on 2 cores.
 */
function cpuOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

async function createOne(spec: GraphSpec, provider: ProviderName, threads: number): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(provider === 'cpu' ? cpuOptions(threads) : {}),
  };
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(spec.file, options);
  } catch (e) {
    // On CPU a failure means the file itself is bad; on a GPU provider it may be the provider.
    if (provider === 'cpu') throw new ModelLoadError(spec.file, `onnxruntime cannot open the graph: ${firstLineOf(e)}`);
    throw e;
  }
  const problem =
    contractMismatch(spec, session.inputNames, session.outputNames) ??
    dimsMismatch(spec.dims ?? {}, [...session.inputMetadata, ...session.outputMetadata]) ??
    tokenAxisShortfall(spec.tokenAxes ?? {}, session.inputMetadata);
  if (problem !== undefined) {
    await session.release();
    throw new ModelLoadError(spec.file, problem);
  }
  return session;
}

/** Why the graph's names differ from the contract's, or undefined when they match. */
export function contractMismatch(spec: Pick<GraphSpec, 'inputs' | 'outputs'>, inputs: readonly string[], outputs: readonly string[]): string | undefined {
  const missingIn = spec.inputs.filter((n) => !inputs.includes(n));
  const extraIn = inputs.filter((n) => !spec.inputs.includes(n));
  const missingOut = spec.outputs.filter((n) => !outputs.includes(n));
  if (missingIn.length === 0 && extraIn.length === 0 && missingOut.length === 0) return undefined;
  // The names at fault first: a manifest field such as contextAttention can change the expected inputs.
  const faults = [
    missingIn.length > 0 ? `missing inputs [${missingIn.join(', ')}]` : '',
    extraIn.length > 0 ? `unexpected inputs [${extraIn.join(', ')}]` : '',
    missingOut.length > 0 ? `missing outputs [${missingOut.join(', ')}]` : '',
  ].filter((f) => f !== '');
  return (
    `graph does not match the contract: ${faults.join(', ')}; inputs [${inputs.join(', ')}], outputs [${outputs.join(', ')}]; ` +
    `expected inputs [${spec.inputs.join(', ')}] and outputs including [${spec.outputs.join(', ')}]`
  );
}

/** Why a graph's stated dims differ from the expected ones, or undefined when they agree. */
export function dimsMismatch(expected: Readonly<Record<string, readonly (number | null)[]>>, metadata: readonly ort.InferenceSession.ValueMetadata[]): string | undefined {
  for (const m of metadata) {
    const want = expected[m.name];
    if (want === undefined || !m.isTensor || m.shape.length === 0) continue;
    const got = m.shape;
    const differs = got.length !== want.length || want.some((w, i) => w !== null && typeof got[i] === 'number' && got[i] !== w);
    if (differs) {
      const show = (d: readonly (number | string | null)[]) => `[${d.map((x) => (x === null || typeof x === 'string' ? '?' : x)).join(', ')}]`;
      return `"${m.name}" has shape ${show(got)} but dllm.json implies ${show(want)}`;
    }
  }
  return undefined;
}
