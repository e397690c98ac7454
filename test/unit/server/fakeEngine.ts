/**
 * A scripted stand-in for the real engine: a fixed number of "forward passes", each a short wait,
 * checking cancellation between passes exactly like the real denoising loop.
 */
import type { EngineLoadOptions, InfillControl, InfillInput, InfillOutput, LoadedEngine } from '../../../src/engine/api';
import { maskGlyph } from '../../../src/protocol/protocol';

export interface FakeEngineOptions {
  /** Forward passes per infill (default 4). */
  passes?: number;
  /** Wait per pass in ms (default 5). */
  passDelayMs?: number;
  /** The completion for an input (default: `<middle of P|S>` with the lengths of prefix and suffix). */
  complete?: (input: InfillInput) => string;
  /** When set, infill throws this message. */
  failWith?: string;
}

export interface FakeEngine extends LoadedEngine {
  /** Every input the engine was asked to run, in order. */
  readonly inputs: InfillInput[];
  /** How many infills ran at the same time, at most. */
  readonly maxConcurrent: number;
  readonly disposed: boolean;
  /** Documents the server asked to forget, in order. */
  readonly forgotten: string[];
  /** The options it was loaded with. */
  readonly loadOptions: EngineLoadOptions | undefined;
}

export function fakeCompletion(input: InfillInput): string {
  return `<middle of ${input.prefix.length}|${input.suffix.length}>`;
}

export function createFakeEngine(modelDir: string, options: FakeEngineOptions = {}, loadOptions?: EngineLoadOptions): FakeEngine {
  const passes = options.passes ?? 4;
  const passDelayMs = options.passDelayMs ?? 5;
  const complete = options.complete ?? fakeCompletion;
  const inputs: InfillInput[] = [];
  const forgotten: string[] = [];
  let running = 0;
  let maxConcurrent = 0;
  let disposed = false;

  const infill = async (input: InfillInput, control: InfillControl = {}): Promise<InfillOutput> => {
    if (options.failWith) throw new Error(options.failWith);
    inputs.push(input);
    running++;
    maxConcurrent = Math.max(maxConcurrent, running);
    try {
      const text = complete(input);
      let forwardPasses = 0;
      let finishReason: InfillOutput['finishReason'] = 'stop';
      for (let pass = 0; pass < passes; pass++) {
        if (control.isCancelled?.()) {
          finishReason = 'cancelled';
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, passDelayMs));
        forwardPasses++;
        const shown = Math.round((text.length * forwardPasses) / passes);
        control.onProgress?.({
          text: text.slice(0, shown) + maskGlyph.repeat(text.length - shown),
          forwardPasses,
          committed: forwardPasses,
          canvasTokens: passes,
        });
      }
      const finalText = finishReason === 'cancelled' ? text.slice(0, Math.round((text.length * forwardPasses) / passes)) : text;
      return {
        text: finalText,
        finishReason,
        stats: {
          forwardPasses,
          tokens: forwardPasses,
          tokensPerForward: 1,
          remasked: 0,
          promptTokens: input.prefix.length + input.suffix.length,
          contextEncoded: input.prefix.length + input.suffix.length,
          contextReused: 0,
          canvasTokens: input.maxTokens,
          tokenizeMs: 0,
          encodeMs: 0,
          denoiseMs: forwardPasses * passDelayMs,
          totalMs: forwardPasses * passDelayMs,
          device: 'cpu',
        },
      };
    } finally {
      running--;
    }
  };

  return {
    model: { name: 'fake-model', path: modelDir, contract: 'split', vocabSize: 64, maxContextTokens: 256, maxCanvasTokens: 64, sizeBytes: 22_000_000 },
    device: { provider: 'cpu', kind: 'cpu', threads: 1 },
    warnings: ['fake engine: completions are scripted'],
    infill,
    inputs,
    forgotten,
    loadOptions,
    forgetDocument(document: string) {
      forgotten.push(document);
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get disposed() {
      return disposed;
    },
    dispose() {
      disposed = true;
      return Promise.resolve();
    },
  };
}

/** A loadEngine for the server that builds fake engines; the last one built is kept for inspection. */
export function fakeLoader(options: FakeEngineOptions = {}): {
  load: (o: EngineLoadOptions) => Promise<LoadedEngine>;
  readonly last: FakeEngine | undefined;
} {
  let last: FakeEngine | undefined;
  return {
    load: (o) => {
      last = createFakeEngine(o.modelDir, options, o);
      return Promise.resolve(last);
    },
    get last() {
      return last;
    },
  };
}
