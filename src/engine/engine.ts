/**
 * The engine: a model folder loaded into onnxruntime sessions, and `infill` = window the text,
 * tokenize, encode the context, denoise the canvas, decode.
 */
import { DeviceInfo, contextCacheDefaultMiB, maskGlyph, statsOfUnrunInfill } from '../protocol/protocol';
import type { EngineLoadOptions, InfillControl, InfillInput, InfillOutput, LoadedEngine } from './api';
import { type ModelParts, loadParts } from './model/load';
import { modelFilesBytes, type ModelManifest } from '../modelFolder/manifest';
import { bannedTokens, sequenceEnds } from './model/vocabulary';
import { ContextCache } from './contextCache';
import { CachedModel } from './runners/cached';
import { type CanvasModel, type CanvasPass, type SequenceLayout, canvasOffset } from './runners/model';
import type { FirstPassDump } from '../protocol/firstPass';
import { firstPassDump } from './firstPass';
import { probeLength, type LengthProbe } from './length';
import { denoise } from './sampler/denoise';
import { buildPolicy, withDefaults } from './sampler/policies';
import { blockWindow } from './sampler/commitWindow';
import { START_LENGTH } from './sampler/lengthEdits';
import { mulberry32 } from './sampler/random';
import { OnnxScorer } from './runners/scorer';
import type { TextTokenizer } from './tokenizer';
import { outputText } from './text';
import { windowTokens } from './window';
import { END_AT_FRONTIER, FILL_TAIL_WITH_PAD } from '../protocol/decoding';

export async function loadEngine(options: EngineLoadOptions): Promise<LoadedEngine> {
  return engineFrom({ ...(await loadParts(options)), contextCacheBytes: options.contextCacheBytes });
}

/** A loaded model folder, and the engine's own switches (tests turn them; their defaults are the decoder contract's canvas switches). */
export interface EngineParts extends ModelParts {
  fillTailWithPad?: boolean;
  endAtFrontier?: boolean;
  /** Memory for documents' cached contexts (contextCache.ts); 0 turns it off; absent: the protocol's default. */
  contextCacheBytes?: number;
}

/** The engine over already-loaded parts (loadEngine's last step; tests pass a fake model). */
export function engineFrom(parts: EngineParts): LoadedEngine {
  return new Engine(parts.manifest, parts.tokenizer, parts.model, parts.device, parts.warnings, parts.fillTailWithPad ?? FILL_TAIL_WITH_PAD, parts.endAtFrontier ?? END_AT_FRONTIER, parts.scorer, documentCache(parts));
}

/** A context cache where the model can extend its context and leaves room for typing before the suffix. */
function documentCache(parts: EngineParts): ContextCache | undefined {
  const { manifest, model } = parts;
  const maxBytes = parts.contextCacheBytes ?? contextCacheDefaultMiB * 2 ** 20;
  if (manifest.contract !== 'split' || manifest.maxSuffixGap === 0 || model.extendable === undefined || maxBytes <= 0) return undefined;
  return new ContextCache(model.extendable, (text) => parts.tokenizer.encode(text), {
    maxContextTokens: manifest.maxContextTokens,
    maxSuffixGap: manifest.maxSuffixGap,
    maxBytes,
  });
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
    /** Each document's last context, where the model allows reusing it. */
    private readonly documents: ContextCache | undefined,
  ) {
    this.model = {
      name: manifest.name,
      path: manifest.dir,
      contract: manifest.contract,
      vocabSize: manifest.vocabSize,
      maxContextTokens: manifest.maxContextTokens,
      maxCanvasTokens: manifest.maxCanvasTokens,
      sizeBytes: modelFilesBytes(manifest),
      ...(manifest.family === undefined ? {} : { family: manifest.family }),
      ...(runner instanceof CachedModel && runner.refreshEvery > 0 ? { cachedRefreshEvery: runner.refreshEvery } : {}),
    };
    this.banned = bannedTokens(manifest, tokenizer);
    const { pad, eos } = manifest.specialTokens;
    this.endIds = new Set(eos === null ? [pad] : [pad, eos]);
  }

  async infill(input: InfillInput, control: InfillControl = {}): Promise<InfillOutput> {
    const started = performance.now();
    const m = this.manifest;
    // The request was validated (src/protocol/validate.ts); only the model's own limits apply here.
    const canvasLength = Math.min(input.maxTokens, m.maxCanvasTokens);
    const sampler = withDefaults(input.sampler);

    // Tokens outward from the cursor, as many as the context holds around the head and tail.
    const { head, tail } = sequenceEnds(m, input.language);
    // A model that cannot see past the canvas (a block-causal one) gets the prefix alone.
    const suffix = m.takesSuffix === false ? '' : input.suffix;
    if (control.isCancelled?.()) return cancelledBeforeStart(started, canvasLength, this.device.provider);

    let pass: CanvasPass;
    /** Sequence position of the first canvas token (blocks are counted from position 0). */
    let canvasStart: number;
    /** The request's layout, where it was laid out here (not from a document's cached context). */
    let layout: SequenceLayout | undefined;
    let stats: Pick<InfillOutput['stats'], 'promptTokens' | 'contextEncoded' | 'contextReused' | 'canvasTokens' | 'tokenizeMs' | 'device'>;
    if (input.document !== undefined && this.documents !== undefined) {
      const context = await this.documents.prepare(input.document, { head, tail, prefix: input.prefix, suffix, canvasLength });
      pass = this.documents.begin(context);
      canvasStart = canvasOffset(context.layout);
      stats = { promptTokens: context.kv.tokens, contextEncoded: context.encoded, contextReused: context.reused, canvasTokens: canvasLength, tokenizeMs: context.tokenizeMs, device: this.device.provider };
    } else {
      const budget = Math.max(0, m.maxContextTokens - head.length - tail.length);
      const fitted = windowTokens(input.prefix, suffix, budget, (text) => this.tokenizer.encode(text));
      const tokenized = performance.now();
      // A model that grows its canvas (lengthTokens) starts from a few masks, as DreamOn's generation does.
      layout = { head, prefix: fitted.prefixIds, canvasLength: m.lengthTokens ? Math.min(START_LENGTH, canvasLength) : canvasLength, suffix: fitted.suffixIds, tail };
      canvasStart = canvasOffset(layout);
      const promptTokens = head.length + fitted.prefixIds.length + fitted.suffixIds.length + tail.length;
      stats = {
        promptTokens,
        contextEncoded: m.contract === 'split' ? promptTokens : 0,
        contextReused: 0,
        canvasTokens: layout.canvasLength,
        tokenizeMs: tokenized - started,
        device: this.device.provider,
      };
      if (control.isCancelled?.()) return cancelledBeforeStart(started, canvasLength, this.device.provider);
      pass = await this.runner.begin(layout, input.document);
      if (pass.contextReused !== undefined) {
        // Cached mode: the first pass encodes the context tokens it could not take from the document's last request.
        stats.contextReused = pass.contextReused;
        stats.contextEncoded = promptTokens - pass.contextReused;
      }
    }
    let firstPass: FirstPassDump | undefined;
    const denoiseStarted = performance.now();
    try {
      // The manifest's length choice: one pass over the longest canvas, then a canvas of the likely length.
      let probe: LengthProbe | undefined;
      let denoiseLength = layout?.canvasLength ?? canvasLength;
      /** Grows and shrinks between passes, where the model has lengthTokens and the request was laid out here. */
      const lengthEdits = layout && m.lengthTokens ? { ...m.lengthTokens, maxLength: canvasLength } : undefined;
      if (layout && !lengthEdits && m.lengthChoice === 'endProbability' && input.stepBudget > 1) {
        probe = await probeLength(pass, canvasLength, m.specialTokens.mask, this.endIds, m.vocabSize, this.banned);
        if (input.dumpFirstPass) firstPass = firstPassDump(layout, m.specialTokens.mask, probe.logits, m.vocabSize);
        denoiseLength = probe.stats.chosenTokens;
        if (denoiseLength < canvasLength) {
          // The suffix moves with the canvas's end: a new context, and the probe's logits no longer apply.
          layout = { ...layout, canvasLength: denoiseLength };
          const probed = pass;
          pass = await this.runner.begin(layout, input.document);
          probed.release();
        }
      }
      /** The probe's logits, served as the first denoising pass where the length stayed (no second run). */
      let reused = probe && denoiseLength === canvasLength ? probe.logits : undefined;
      const probePasses = probe && !reused ? 1 : 0;
      /** Context time of passes begun for earlier canvas lengths. */
      let earlierEncodeMs = 0;
      const result = await denoise(
        async (canvas) => {
          if (reused) {
            const logits = reused;
            reused = undefined;
            return logits;
          }
          if (layout && canvas.length !== layout.canvasLength) {
            // The canvas grew or shrank: the suffix moves with its end, so the model begins again. Released
            // first, the earlier pass leaves its document's keys and values for the new one to reuse.
            layout = { ...layout, canvasLength: canvas.length };
            earlierEncodeMs += pass.encodeMs;
            pass.release();
            pass = await this.runner.begin(layout, input.document);
          }
          const logits = await pass.forward(canvas);
          if (input.dumpFirstPass && layout && !firstPass) firstPass = firstPassDump(layout, m.specialTokens.mask, logits, m.vocabSize);
          return logits;
        },
        {
          canvasLength: denoiseLength,
          maskId: m.specialTokens.mask,
          endIds: this.endIds,
          tailFill: this.fillTailWithPad ? m.specialTokens.pad : undefined,
          endAtFrontier: this.endAtFrontier,
          fastScorer: this.scorer ? (logits, canvas, limit, committed) => this.scorer!.score(logits, canvas, limit, committed) : undefined,
          vocabSize: m.vocabSize,
          banned: this.banned,
          temperature: sampler.temperature,
          random: mulberry32(sampler.seed),
          ...(lengthEdits ? { lengthEdits } : {}),
        },
        // A block-causal model denoises its blocks in order, as it generates.
        buildPolicy(sampler, input.stepBudget - probePasses, m.blockLength === undefined ? undefined : blockWindow(m.blockLength, canvasStart)),
        {
          isCancelled: control.isCancelled,
          onPass: control.onProgress
            ? (canvas, forwardPasses) =>
                control.onProgress?.({
                  text: canvas.progressText((ids) => this.decode(ids), maskGlyph),
                  forwardPasses,
                  committed: canvas.committedCount(),
                  canvasTokens: canvas.length,
                })
            : undefined,
        },
      );
      const done = performance.now();
      const middle = result.canvas.middleTokens();
      // A growing canvas ends when its masks are filled; short of its cap, that is the model's own end.
      const endedShort = lengthEdits !== undefined && result.canvas.isDone() && result.canvas.length < lengthEdits.maxLength;
      const finishReason = result.cancelled ? 'cancelled' : result.canvas.firstEnd() >= 0 || endedShort ? 'stop' : 'length';
      let text = this.decode(middle);
      // A middle cut short may end inside a multi-byte character: drop the broken tail.
      if (finishReason !== 'stop') text = text.replace(/\uFFFD+$/, '');
      return {
        text,
        finishReason,
        stats: {
          ...stats,
          canvasTokens: result.canvas.length,
          // The probe ran once whether or not the loop used it (a request cancelled after it did not).
          forwardPasses: result.forwardPasses + probePasses + (reused ? 1 : 0),
          tokens: middle.length,
          tokensPerForward: result.forwardPasses > 0 ? result.canvas.committedCount() / result.forwardPasses : 0,
          remasked: result.remasked,
          encodeMs: earlierEncodeMs + pass.encodeMs,
          denoiseMs: done - denoiseStarted,
          totalMs: done - started,
          ...(probe ? { lengthChoice: probe.stats } : {}),
          ...(result.lengthEdits ? { lengthEdits: result.lengthEdits } : {}),
        },
        ...(firstPass ? { firstPass } : {}),
      };
    } finally {
      pass.release();
    }
  }

  /** Canvas tokens as text the protocol allows out: LF only (a masked position separates progress runs, so none splits a CRLF). */
  private decode(ids: readonly number[]): string {
    return outputText(this.tokenizer.decode(ids));
  }

  forgetDocument(document: string): void {
    this.documents?.forget(document);
    this.runner.forget?.(document);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.runner.dispose(), this.scorer?.dispose()]);
  }
}

/** The answer to a request cancelled before the model ran. */
function cancelledBeforeStart(started: number, canvasLength: number, device: string): InfillOutput {
  return { text: '', finishReason: 'cancelled', stats: { ...statsOfUnrunInfill(device), canvasTokens: canvasLength, totalMs: performance.now() - started } };
}
