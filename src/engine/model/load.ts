/**
 * A model folder loaded: its manifest, its tokenizer checked against it, and its graphs opened in
 * onnxruntime behind the runner its contract names.
 */
import { cachedRefreshEveryDefault } from '../../protocol/cachedMode';
import { type DeviceInfo, contextCacheDefaultMiB } from '../../protocol/protocol';
import type { EngineLoadOptions } from '../api';
import { ModelLoadError } from '../../modelFolder/errors';
import { firstLineOf } from '../../base/errorText';
import { graphTokenAxes } from '../graphLimits';
import { CACHED_IO, CachedModel, type CachedModelOptions } from '../runners/cached';
import { FULL_IO, FullModel } from '../runners/full';
import type { CanvasModel } from '../runners/model';
import { OnnxScorer } from '../runners/scorer';
import { SPLIT_DENOISE_IO, SplitModel, splitContextIO } from '../runners/split';
import { type OpenOptions, openSessions } from '../session';
import { type TextTokenizer, loadTokenizer } from '../tokenizer';
import { type FullManifest, type KvCacheShape, MANIFEST_FILE, type ModelManifest, type SplitManifest, readManifest } from '../../modelFolder/manifest';
import { bannedTokens } from './vocabulary';

/** Everything a model folder yields: what the engine runs on. */
export interface ModelParts {
  manifest: ModelManifest;
  tokenizer: TextTokenizer;
  model: CanvasModel;
  device: DeviceInfo;
  warnings: readonly string[];
  /** Softmax on onnxruntime at temperature 0; absent: in JavaScript. */
  scorer?: OnnxScorer;
}

/** The runner over a contract's graphs, and where they run. */
type OpenedModel = Pick<ModelParts, 'model' | 'device' | 'warnings'>;

/** Manifest, tokenizer and sessions of a model folder. */
export async function loadParts(options: EngineLoadOptions): Promise<ModelParts> {
  const manifest = readManifest(options.modelDir);
  const tokenizer = loadTokenizer(manifest.files.tokenizer);
  if (tokenizer.size > manifest.vocabSize) {
    throw new ModelLoadError(manifest.files.tokenizer, `tokenizer has ${tokenizer.size} tokens but ${MANIFEST_FILE} says vocabSize ${manifest.vocabSize}`);
  }
  const cached: CachedModeChoice = {
    refreshEvery: options.cachedRefreshEvery ?? cachedRefreshEveryDefault,
    maxDocumentBytes: options.contextCacheBytes ?? contextCacheDefaultMiB * 2 ** 20,
  };
  const opened = await openModel(manifest, { device: options.device, threads: options.threads, log: options.log }, cached);
  let scorer: OnnxScorer | undefined;
  try {
    // One thread: the softmax is small, and a second spinning thread pool would compete with the model's.
    scorer = await OnnxScorer.create(bannedTokens(manifest, tokenizer), 1);
  } catch (e) {
    // Not fatal: scoring in JavaScript gives the same answers, a little slower.
    options.log?.(`scoring graph unavailable, scoring in JavaScript: ${firstLineOf(e)}`);
  }
  return { manifest, tokenizer, ...opened, scorer };
}

/** The one place a contract picks its runner: a new contract adds its case here. */
/** The cached mode's settings: its refresh interval and the memory for documents' keys and values. */
type CachedModeChoice = Pick<CachedModelOptions, 'refreshEvery' | 'maxDocumentBytes'>;

function openModel(m: ModelManifest, open: OpenOptions, cached: CachedModeChoice): Promise<OpenedModel> {
  switch (m.contract) {
    case 'split':
      return openSplit(m, open);
    case 'full':
      // The cached graph runs both modes (refreshing every pass is exact); the full graph only where there is none.
      return m.kvCache !== undefined ? openCached(m, m.kvCache, open, cached) : openFull(m, open);
  }
}

async function openSplit(m: SplitManifest, open: OpenOptions): Promise<OpenedModel> {
  const axes = graphTokenAxes(m);
  const kv = m.kvCache;
  const cache = [kv.layers, 1, kv.heads, null, kv.headDim];
  const { sessions, device, warnings } = await openSessions(
    {
      context: { file: m.files.context, ...splitContextIO(m.contextAttention), dims: { keys: cache, values: cache, past_keys: cache, past_values: cache }, tokenAxes: axes.context },
      denoise: { file: m.files.denoise, ...SPLIT_DENOISE_IO, dims: { keys: cache, values: cache, logits: [1, null, m.vocabSize] }, tokenAxes: axes.denoise },
    },
    open,
  );
  return { model: new SplitModel(sessions.context, sessions.denoise, m.vocabSize, kv, m.contextAttention), device, warnings };
}

async function openCached(m: FullManifest, kv: KvCacheShape, open: OpenOptions, cached: CachedModeChoice): Promise<OpenedModel> {
  const axes = graphTokenAxes(m);
  const cache = [kv.layers, 1, kv.heads, null, kv.headDim];
  const { sessions, device, warnings } = await openSessions(
    { cached: { file: m.files.cached!, ...CACHED_IO, dims: { past_keys: cache, past_values: cache, keys: cache, values: cache, logits: [1, null, m.vocabSize] }, tokenAxes: axes.cached } },
    open,
  );
  // A block-causal model's keys depend on which block their position falls in: moved, they would be another block's.
  const ropeTheta = m.blockLength === undefined ? m.ropeTheta : undefined;
  return { model: new CachedModel(sessions.cached, m.vocabSize, kv, m.shiftedLogits, { ...cached, ropeTheta }), device, warnings };
}

async function openFull(m: FullManifest, open: OpenOptions): Promise<OpenedModel> {
  const axes = graphTokenAxes(m);
  const { sessions, device, warnings } = await openSessions({ model: { file: m.files.model, ...FULL_IO, dims: { logits: [1, null, m.vocabSize] }, tokenAxes: axes.full } }, open);
  // Converted by an earlier version: its two cached-mode graphs are not run (manifest.ts earlierCachedGraphs).
  const earlier = m.earlierCachedGraphs ? [`${m.dir} was converted by an earlier version whose cached mode this one does not run: it runs in exact mode (slower); convert it again for the cached mode`] : [];
  return { model: new FullModel(sessions.model, m.vocabSize, m.shiftedLogits), device, warnings: [...warnings, ...earlier] };
}
