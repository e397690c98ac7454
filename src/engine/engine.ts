/**
 * The engine: a model folder loaded into onnxruntime sessions, and `infill` = window the text,
 * tokenize, encode the context, denoise the canvas, decode.
 */
import { DeviceInfo, maskGlyph } from '../protocol/protocol';
import type { EngineLoadOptions, InfillControl, InfillInput, InfillOutput, LoadedEngine } from './api';
import { InfillInputError, ModelLoadError, describeError } from './errors';
import { graphTokenAxes } from './graphLimits';
import { ModelManifest, readManifest } from './manifest';
import { FULL_IO, FullModel } from './runners/full';
import type { CanvasModel, SequenceLayout } from './runners/model';
import { SPLIT_DENOISE_IO, SplitModel, splitContextIO } from './runners/split';
import { denoise } from './sampler/denoise';
import { buildPolicy, resolveSamplerOptions } from './sampler/index';
import { mulberry32 } from './sampler/random';
import { OnnxScorer } from './runners/scorer';
import { openSessions } from './session';
import { detectLineEnd, normalizeForModel, restoreLineEnds } from './text';
import { TextTokenizer, loadTokenizer } from './tokenizer';
import { CHARS_PER_TOKEN, cutByCharacters, windowTokens } from './window';

export { BUNDLED_MODEL, bundledModelDir } from './bundled';

export async function loadEngine(options: EngineLoadOptions): Promise<LoadedEngine> {
  return engineFrom(await loadParts(options));
}

/** Manifest, tokenizer and sessions of a model folder: everything but the engine itself. */
export async function loadParts(options: EngineLoadOptions): Promise<EngineParts> {
  const manifest = readManifest(options.modelDir);
  const tokenizer = loadTokenizer(manifest.files.tokenizer);
  if (tokenizer.size > manifest.vocabSize) {
    throw new ModelLoadError(manifest.files.tokenizer, `tokenizer has ${tokenizer.size} tokens but dllm.json says vocabSize ${manifest.vocabSize}`);
  }
  const opened = await openModel(manifest, options);
  let scorer: OnnxScorer | undefined;
  try {
    // One thread: the softmax is small, and a second spinning thread pool would compete with the model's.
    scorer = await OnnxScorer.create(bannedTokens(manifest, tokenizer), 1);
  } catch (e) {
    // Not fatal: scoring in JavaScript gives the same answers, a little slower.
    options.log?.(`scoring graph unavailable, scoring in JavaScript: ${describeError(e)}`);
  }
  return { manifest, tokenizer, ...opened, scorer };
}

/**
 * Show the model `<pad>` after the first committed end token instead of `<mask>` (training fills
 * the tail after the middle with pad; see DenoiseSetup.tailFill).
 */
export const FILL_TAIL_WITH_PAD = true;

/**
 * Commit end tokens only at the leftmost masked position (see DenoiseSetup.endAtFrontier). Off:
 * measured on the bundled model it turned empty answers into runs of blank lines, and the
 * published samplers do not have it; kept as a variant to measure on better models.
 */
export const END_AT_FRONTIER = false;

export interface EngineParts {
  manifest: ModelManifest;
  tokenizer: TextTokenizer;
  model: CanvasModel;
  device: DeviceInfo;
  warnings: readonly string[];
  fillTailWithPad?: boolean;
  endAtFrontier?: boolean;
  /** Softmax on onnxruntime at temperature 0; absent: in JavaScript. */
  scorer?: OnnxScorer;
}

/** The engine over already-loaded parts (loadEngine's last step; tests pass a fake model). */
export function engineFrom(parts: EngineParts): LoadedEngine {
  return new Engine(parts.manifest, parts.tokenizer, parts.model, parts.device, parts.warnings, parts.fillTailWithPad ?? FILL_TAIL_WITH_PAD, parts.endAtFrontier ?? END_AT_FRONTIER, parts.scorer);
}

async function openModel(m: ModelManifest, options: EngineLoadOptions) {
  const open = { device: options.device, threads: options.threads, log: options.log };
  const axes = graphTokenAxes(m);
  if (m.contract === 'split') {
    const kv = m.kvCache!;
    const cache = [kv.layers, 1, kv.heads, null, kv.headDim];
    const attention = m.contextAttention ?? 'bidirectional';
    const { sessions, device, warnings } = await openSessions(
      {
        context: { file: m.files.context!, ...splitContextIO(attention), dims: { keys: cache, values: cache, past_keys: cache, past_values: cache }, tokenAxes: axes.context },
        denoise: { file: m.files.denoise!, ...SPLIT_DENOISE_IO, dims: { keys: cache, values: cache, logits: [1, null, m.vocabSize] }, tokenAxes: axes.denoise },
      },
      open,
    );
    return { model: new SplitModel(sessions.context, sessions.denoise, m.vocabSize, m.kvCache!, attention) as CanvasModel, device, warnings };
  }
  const { sessions, device, warnings } = await openSessions({ model: { file: m.files.model!, ...FULL_IO, dims: { logits: [1, null, m.vocabSize] }, tokenAxes: axes.full } }, open);
  return { model: new FullModel(sessions.model, m.vocabSize, m.shiftedLogits) as CanvasModel, device, warnings };
}

/**
 * Tokens the sampler may never commit: the mask, bos, language tokens, the tokenizer's other
 * special tokens, and ids the tokenizer cannot decode. Pad and eos stay: they end the middle.
 */
export function bannedTokens(m: ModelManifest, tokenizer: Pick<TextTokenizer, 'specialIds' | 'idToToken'>): Uint8Array {
  const banned = new Uint8Array(m.vocabSize);
  const { mask, pad, bos, eos } = m.specialTokens;
  for (let id = 0; id < m.vocabSize; id++) if (tokenizer.idToToken(id) === undefined) banned[id] = 1;
  for (const id of tokenizer.specialIds) if (id < m.vocabSize) banned[id] = 1;
  for (const id of Object.values(m.languageTokens ?? {})) banned[id] = 1;
  banned[mask] = 1;
  if (bos !== null) banned[bos] = 1;
  banned[pad] = 0;
  if (eos !== null) banned[eos] = 0;
  return banned;
}

/** VS Code language ids that are dialects of a more common one, tried when a manifest lacks them. */
const LANGUAGE_FALLBACK: Readonly<Record<string, string>> = {
  typescriptreact: 'typescript',
  javascriptreact: 'javascript',
  'objective-c': 'c',
  'objective-cpp': 'cpp',
  'cuda-cpp': 'cpp',
};

/** The language token for a VS Code language id: its own, else its base language's, else `other`, else none. */
export function languageToken(m: ModelManifest, language: string | undefined): number | undefined {
  const table = m.languageTokens;
  if (table === undefined) return undefined;
  const has = (id: string | undefined): id is string => !!id && Object.prototype.hasOwnProperty.call(table, id);
  if (has(language)) return table[language];
  const base = language ? LANGUAGE_FALLBACK[language] : undefined;
  if (has(base)) return table[base];
  return table.other;
}

class Engine implements LoadedEngine {
  readonly model;
  private readonly banned: Uint8Array;
  private readonly endIds: ReadonlySet<number>;

  constructor(
    private readonly manifest: ModelManifest,
    private readonly tokenizer: TextTokenizer,
    private readonly runner: CanvasModel,
    readonly device: DeviceInfo,
    readonly warnings: readonly string[],
    private readonly fillTailWithPad: boolean,
    private readonly endAtFrontier: boolean,
    private readonly scorer: OnnxScorer | undefined,
  ) {
    this.model = {
      name: manifest.name,
      path: manifest.dir,
      contract: manifest.contract,
      vocabSize: manifest.vocabSize,
      maxContextTokens: manifest.maxContextTokens,
      maxCanvasTokens: manifest.maxCanvasTokens,
    };
    this.banned = bannedTokens(manifest, tokenizer);
    const { pad, eos } = manifest.specialTokens;
    this.endIds = new Set(eos === null ? [pad] : [pad, eos]);
  }

  async infill(input: InfillInput, control: InfillControl = {}): Promise<InfillOutput> {
    const started = performance.now();
    const m = this.manifest;
    const canvasLength = clampInt(input.maxTokens, 1, m.maxCanvasTokens, 'maxTokens');
    const steps = clampInt(input.stepBudget, 1, Number.MAX_SAFE_INTEGER, 'stepBudget');
    const sampler = resolveSamplerOptions(input.sampler);

    // Window and tokenize: LF text, a hard character cap, then tokens outward from the cursor.
    const lineEnd = detectLineEnd(input.prefix, input.suffix);
    const head = [m.specialTokens.bos, languageToken(m, input.language)].filter((t): t is number => t !== null && t !== undefined);
    const tail = m.specialTokens.eos === null ? [] : [m.specialTokens.eos];
    const budget = Math.max(0, m.maxContextTokens - head.length - tail.length);
    const cut = cutByCharacters(input.prefix, input.suffix, budget * CHARS_PER_TOKEN);
    const fitted = windowTokens(normalizeForModel(cut.prefix), normalizeForModel(cut.suffix), budget, (text) => this.tokenizer.encode(text));
    const tokenized = performance.now();

    const layout: SequenceLayout = { head, prefix: fitted.prefixIds, canvasLength, suffix: fitted.suffixIds, tail };
    const stats = {
      promptTokens: head.length + fitted.prefixIds.length + fitted.suffixIds.length + tail.length,
      canvasTokens: canvasLength,
      tokenizeMs: tokenized - started,
      device: this.device.provider,
    };
    if (control.isCancelled?.()) {
      return { text: '', finishReason: 'cancelled', stats: { ...stats, forwardPasses: 0, tokens: 0, tokensPerForward: 0, remasked: 0, encodeMs: 0, denoiseMs: 0, totalMs: performance.now() - started } };
    }

    const pass = await this.runner.begin(layout);
    const denoiseStarted = performance.now();
    try {
      const result = await denoise(
        (canvas) => pass.forward(canvas),
        {
          canvasLength,
          maskId: m.specialTokens.mask,
          endIds: this.endIds,
          tailFill: this.fillTailWithPad ? m.specialTokens.pad : undefined,
          endAtFrontier: this.endAtFrontier,
          fastScorer: this.scorer ? (logits, canvas, limit, committed) => this.scorer!.score(logits, canvas, limit, committed) : undefined,
          vocabSize: m.vocabSize,
          banned: this.banned,
          temperature: sampler.temperature,
          random: mulberry32(sampler.seed),
        },
        buildPolicy(sampler, steps),
        {
          isCancelled: control.isCancelled,
          onPass: control.onProgress
            ? (canvas, forwardPasses) =>
                control.onProgress?.({
                  text: restoreLineEnds(canvas.progressText((ids) => this.tokenizer.decode(ids), maskGlyph), lineEnd),
                  forwardPasses,
                  committed: canvas.committedCount(),
                  canvasTokens: canvasLength,
                })
            : undefined,
        },
      );
      const done = performance.now();
      const middle = result.canvas.middleTokens();
      const finishReason = result.cancelled ? 'cancelled' : result.canvas.firstEnd() >= 0 ? 'stop' : 'length';
      let text = this.tokenizer.decode(middle);
      // A middle cut short may end inside a multi-byte character: drop the broken tail.
      if (finishReason !== 'stop') text = text.replace(/\uFFFD+$/, '');
      return {
        text: restoreLineEnds(text, lineEnd),
        finishReason,
        stats: {
          ...stats,
          forwardPasses: result.forwardPasses,
          tokens: middle.length,
          tokensPerForward: result.forwardPasses > 0 ? result.canvas.committedCount() / result.forwardPasses : 0,
          remasked: result.remasked,
          encodeMs: pass.encodeMs,
          denoiseMs: done - denoiseStarted,
          totalMs: done - started,
        },
      };
    } finally {
      pass.release();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.runner.dispose(), this.scorer?.dispose()]);
  }
}

function clampInt(value: number, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InfillInputError(`${name} must be a number`);
  return Math.min(max, Math.max(min, Math.floor(value)));
}
