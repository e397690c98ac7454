/**
 * `npm run bench:approximate-reuse`: what reusing a *bidirectional* model's context across
 * keystrokes would cost in quality. A bidirectional context cannot be extended exactly (every
 * context token attends to every other, and typing moves the suffix's positions), so the only
 * reuse is approximate: denoise against the keys and values of an earlier keystroke's context,
 * re-encoding only every k keystrokes. This types into a real file as `npm run bench:typing` does
 * and compares, per keystroke, the first pass's canvas logits and the finished completion of the
 * approximate context with those of the exact one. Prints a table; no timing.
 *
 *   npm run bench:approximate-reuse [-- --model DIR --chars 120 --every 2,4,8]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption, runMain } from '../src/cli/options';
import { cutWindow, windowChars } from '../src/completion/contextWindow';
import { engineFrom } from '../src/engine/engine';
import { loadParts } from '../src/engine/model/load';
import { sequenceEnds } from '../src/engine/model/vocabulary';
import { type CanvasModel, type CanvasPass, type KvBlock, type SequenceLayout, contextTokens } from '../src/engine/runners/model';
import { SplitModel } from '../src/engine/runners/split';
import { windowTokens } from '../src/engine/window';
import { fmt, markdownTable } from './lib/markdown';
import { mean, percentile } from './lib/stats';
import { repoRoot } from './lib/tasks';
import { extensionDefaults, typingText } from './lib/typing';

const usage = `npm run bench:approximate-reuse -- [options]
  --model DIR     a split model folder with a bidirectional context (default: the bundled model)
  --chars N       characters typed (default 120)
  --every A,B     re-encode the context every A (then B, …) keystrokes (default 2,4,8)`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, chars: { type: 'string' }, every: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(usage);
    return;
  }
  const modelDir = path.resolve(values.model ?? path.join(repoRoot, 'models', 'dllm-code-tiny'));
  const intervals = (values.every ?? '2,4,8').split(',').map((e) => intOption(e, 'every', 0, 2));
  const text = typingText(intOption(values.chars, 'chars', 120));
  const settings = extensionDefaults(200);
  const parts = await loadParts({ modelDir, device: 'cpu', threads: 2 });
  const m = parts.manifest;
  if (m.contract !== 'split' || !(parts.model instanceof SplitModel)) throw new Error(`${modelDir} is not a split model`);
  const split = parts.model;
  const { head, tail } = sequenceEnds(m, text.language);
  const canvasLength = Math.min(settings.maxTokens, m.maxCanvasTokens);
  const chars = windowChars(m.maxContextTokens);
  const layoutAt = (typed: number): SequenceLayout => {
    const window = cutWindow(text.before + text.span.slice(0, typed), text.after, chars);
    const fitted = windowTokens(window.prefix, window.suffix, m.maxContextTokens - head.length - tail.length, (t) => parts.tokenizer.encode(t));
    return { head, prefix: fitted.prefixIds, canvasLength, suffix: fitted.suffixIds, tail };
  };

  /** The engine's whole denoising over a given first pass, to compare finished completions. */
  const complete = async (pass: CanvasPass): Promise<string> => {
    const fixed: CanvasModel = { vocabSize: split.vocabSize, begin: () => Promise.resolve(pass), dispose: () => Promise.resolve() };
    const engine = engineFrom({ ...parts, model: fixed });
    return (await engine.infill({ prefix: '', suffix: '', language: text.language, maxTokens: canvasLength, stepBudget: settings.stepBudget, sampler: settings.sampler })).text;
  };

  const rows: string[][] = [];
  for (const every of intervals) {
    const maxDiff: number[] = [];
    const top1: number[] = [];
    let sameText = 0;
    let compared = 0;
    let stale = await contextOf(split, layoutAt(0));
    for (let typed = 1; typed <= text.span.length; typed++) {
      const layout = layoutAt(typed);
      const context = await contextOf(split, layout);
      if (typed % every === 0) {
        stale = context;
        continue;
      }
      // This keystroke's canvas against the context of the last keystroke that re-encoded it.
      const exact = split.beginWith(layout, context, 0);
      const approximate = split.beginWith(layout, stale, 0);
      const canvas = new Int32Array(canvasLength).fill(m.specialTokens.mask);
      const [want, got] = [await exact.forward(canvas), await approximate.forward(canvas)];
      const v = split.vocabSize;
      let worst = 0;
      let agree = 0;
      for (let j = 0; j < canvasLength; j++) {
        let [bestWant, bestGot] = [0, 0];
        for (let t = 0; t < v; t++) {
          worst = Math.max(worst, Math.abs(want[j * v + t]! - got[j * v + t]!));
          if (want[j * v + t]! > want[j * v + bestWant]!) bestWant = t;
          if (got[j * v + t]! > got[j * v + bestGot]!) bestGot = t;
        }
        if (bestWant === bestGot) agree++;
      }
      maxDiff.push(worst);
      top1.push(agree / canvasLength);
      if ((await complete(exact)) === (await complete(approximate))) sameText++;
      compared++;
    }
    rows.push([`every ${every}`, String(compared), fmt(percentile(maxDiff, 50), 3), fmt(percentile(maxDiff, 95), 3), fmt(100 * mean(top1), 1), fmt((100 * sameText) / compared, 1)]);
  }
  await split.dispose();
  console.log(`${m.name} (${split.contextAttention} context, ≤${m.maxContextTokens} tokens), ${text.span.length} characters typed into ${path.relative(repoRoot, text.file)}; first pass over an all-mask canvas of ${canvasLength}, completions with ${settings.sampler.kind} and a step budget of ${settings.stepBudget}\n`);
  console.log(markdownTable(['context re-encoded', 'keystrokes compared', 'max |Δ logit| p50', 'p95', 'canvas top-1 agreement %', 'same completion %'], rows));
}

/** The keys and values of a layout's whole context, encoded from nothing. */
async function contextOf(split: SplitModel, layout: SequenceLayout): Promise<KvBlock> {
  const { ids, positions } = contextTokens(layout, split.contextAttention);
  const kv = await split.encodeContext(ids, positions);
  return { keys: kv.keys.data as Float32Array, values: kv.values.data as Float32Array, tokens: ids.length };
}

runMain(main);
