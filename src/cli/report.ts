/**
 * What `npm run complete` prints: the completion between rules and its statistics, worded so that
 * the completion's tokens and the canvas positions the sampler decides (padding included) are never
 * mistaken for each other, and the live progress line.
 */
import type { InfillRequest } from '../protocol/protocol';

type Paint = (text: string) => string;

export interface Styles {
  dim: Paint;
  bold: Paint;
  green: Paint;
  red: Paint;
  yellow: Paint;
}

/** ANSI styling, only for a terminal that wants it. */
export function styles(stream: NodeJS.WriteStream): Styles {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  const wrap = (code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { dim: wrap('2'), bold: wrap('1'), green: wrap('32'), red: wrap('31'), yellow: wrap('33') };
}

const plain: Paint = (text) => text;

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One line of progress: the canvas with newlines shown as ⏎, cut to `columns`. */
export function progressLine(value: { text: string; forwardPasses: number; committed: number; canvasTokens: number }, steps: number, columns = 100): string {
  const head = `pass ${value.forwardPasses}/${steps} · ${value.committed}/${value.canvasTokens} positions decided │ `;
  const width = columns - head.length - 1;
  const text = value.text.replace(/\r?\n/g, '⏎').replace(/\t/g, '→');
  return head + (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text);
}

/** What the completion is: its length in tokens, or why it is empty. */
export function completionSummary(result: Pick<InfillRequest.Result, 'text' | 'finishReason' | 'stats'>): string {
  const { tokens } = result.stats;
  if (tokens > 0) return `completion ${count(tokens, 'token')}`;
  if (result.finishReason === 'cancelled') return 'empty completion: cancelled before any token was decided';
  return 'empty completion: the model put the end mark (<pad>) first';
}

/**
 * The statistics under the completion, three lines: what came out and how many forward passes it
 * took; how the sampler worked through the canvas (the positions it decided, the completion's tokens
 * and the padding after them alike); where the time went.
 */
export function statsLines(result: InfillRequest.Result, paint: Pick<Styles, 'yellow' | 'dim'> = { yellow: plain, dim: plain }): string[] {
  const s = result.stats;
  const finish = result.finishReason === 'stop' ? 'stop' : result.finishReason === 'length' ? paint.yellow('length (canvas full)') : paint.yellow('cancelled');
  // tokensPerForward counts every position committed, padding included: the canvas's figure.
  const decided = Math.round(s.tokensPerForward * s.forwardPasses);
  const canvas = `canvas ${decided}/${count(s.canvasTokens, 'position')} decided (tokens and padding) · ${s.tokensPerForward.toFixed(1)} per pass · ${s.remasked} re-masked`;
  return [
    `finish ${finish} · ${completionSummary(result)} · ${count(s.forwardPasses, 'forward pass', 'forward passes')}`,
    canvas,
    paint.dim(`prompt ${count(s.promptTokens, 'token')} · tokenize ${ms(s.tokenizeMs)} · encode ${ms(s.encodeMs)} · denoise ${ms(s.denoiseMs)} · total ${ms(s.totalMs)} · ${s.device}`),
  ];
}
