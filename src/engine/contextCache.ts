/**
 * The context of each document's last request, kept so that the next one encodes only what changed.
 *
 * With a `causalSuffixFirst` model the context graph takes head, suffix, tail, then prefix, and each
 * token attends only to those before it: typing, which appends to the prefix, leaves the keys and
 * values of every earlier context token as they were. A request reuses the keys and values of the
 * context its document's last request had in common with it, up to the start of the line being
 * typed on, and encodes the rest (that line, a few tokens) against them. This is exact by
 * construction: a reused token has the same id, the same position and the same tokens before it
 * as when it was encoded.
 *
 * Two things keep that run long while the user types:
 * - The window is cut at line starts and tokenized line by line (the line is the unit the prefix
 *   is compared in), so its start stays where it was until the window is full.
 * - The suffix does not move: a fresh window leaves `room` tokens free, both in the token budget
 *   and as unused positions between the canvas and the suffix (the model was trained with up to
 *   maxSuffixGap there). Typing fills that room; only when it is used up, or the text has changed
 *   elsewhere (the suffix edited, the window's first line gone), is a fresh window cut.
 *
 * Memory is bounded: an entry holds the keys and values of the context before the line typed on,
 * entries are held least-recently-used first out by those bytes, and a closed document's entry is
 * dropped (`forget`).
 */
import { LRUCache } from 'lru-cache';
import type { ExtendableContext, KvBlock, SequenceLayout } from './runners/model';
import { type CanvasPass, contextTokens } from './runners/model';
import { type LazySide, fitLazily } from './window';

/** What a request brings: the text around the cursor and the special tokens around it. */
export interface ContextRequest {
  head: readonly number[];
  tail: readonly number[];
  /** Text before the cursor (LF line ends), as much as the client sent. */
  prefix: string;
  suffix: string;
  canvasLength: number;
}

/** A request's layout and its context's keys and values, ready to denoise against. */
export interface PreparedContext {
  layout: SequenceLayout;
  /** Keys and values of every context token, in `contextTokens` order. */
  kv: KvBlock;
  /** Context tokens run through the context graph now / taken from the document's last request. */
  encoded: number;
  reused: number;
  tokenizeMs: number;
  encodeMs: number;
}

export interface ContextCacheOptions {
  /** The manifest's maxContextTokens: head, prefix, suffix and tail together. */
  maxContextTokens: number;
  /** The manifest's maxSuffixGap (> 0). */
  maxSuffixGap: number;
  /** Memory for all documents' keys and values. */
  maxBytes: number;
}

/** A line and its tokens; every line but the one the cursor is on ends with its `\n`. */
interface Line {
  text: string;
  ids: number[];
}

/** The text and tokens of a window, and where its suffix sits. */
interface Window {
  /** Whole lines from the window's first to the cursor's (the text before the cursor on it). */
  prefixLines: Line[];
  /** Tokens of the first line left out (a window full in the middle of a line). */
  skip: number;
  prefixIds: number[];
  /** The lines the suffix tokens come from (the last may be partly used). */
  suffixText: string;
  suffixIds: number[];
  /** The suffix tokens are all of the request's suffix. */
  suffixComplete: boolean;
  /** Position of the first suffix token. */
  suffixStart: number;
}

interface DocumentContext extends Window {
  head: readonly number[];
  tail: readonly number[];
  /** Keys and values of the context before the line being typed on (model order). */
  settled: KvBlock;
}

/** How much of the window's first line is searched for in a later request's prefix. */
const PROBE_CHARS = 160;

export class ContextCache {
  private readonly entries: LRUCache<string, DocumentContext>;
  /** Tokens a fresh window leaves free for typing (budget and positions before the suffix). */
  readonly room: number;

  constructor(
    private readonly model: ExtendableContext,
    private readonly encode: (text: string) => number[],
    private readonly options: ContextCacheOptions,
  ) {
    this.entries = new LRUCache({ maxSize: Math.max(1, options.maxBytes), sizeCalculation: (e) => Math.max(1, kvBytes(e.settled)) });
    // Most of the gap for typing; the rest lets a few deletions keep the window too.
    this.room = Math.max(1, Math.min(Math.floor((options.maxSuffixGap * 3) / 4), Math.floor(options.maxContextTokens / 8)));
  }

  /** Documents held and the bytes of their keys and values. */
  get stats(): { documents: number; bytes: number } {
    return { documents: this.entries.size, bytes: this.entries.calculatedSize };
  }

  forget(document: string): void {
    this.entries.delete(document);
  }

  /** The request's forward function over its prepared context. */
  begin(context: PreparedContext): CanvasPass {
    return this.model.beginWith(context.layout, context.kv, context.encodeMs);
  }

  async prepare(document: string, request: ContextRequest): Promise<PreparedContext> {
    const started = performance.now();
    const last = this.entries.get(document);
    const carried = last !== undefined ? this.followOn(last, request) : undefined;
    const window = carried ?? this.freshWindow(request);
    const tokenized = performance.now();

    const { head, tail, canvasLength } = request;
    const layout: SequenceLayout = {
      head,
      prefix: window.prefixIds,
      canvasLength,
      suffixGap: window.suffixStart - (head.length + window.prefixIds.length + canvasLength),
      suffix: window.suffixIds,
      tail,
    };
    const { ids, positions } = contextTokens(layout, 'causalSuffixFirst');
    const past = carried && last ? this.keptContext(last, window, ids.length) : emptyKv();
    const added = await this.model.extend(ids.slice(past.tokens), positions.slice(past.tokens), past);
    const kv = joinTokens(past, added, this.model);
    // Kept before denoising: a request superseded while it denoises still leaves its context.
    const settled = ids.length - cursorLineTokens(window);
    this.entries.set(document, { ...window, head, tail, settled: settled === past.tokens ? past : firstTokens(kv, settled, this.model) });
    return { layout, kv, encoded: added.tokens, reused: past.tokens, tokenizeMs: tokenized - started, encodeMs: performance.now() - tokenized };
  }

  /**
   * The keys and values of `last` that a follow-on window keeps: the longest run of context tokens
   * both have, but while that run reaches the line being typed on, only up to that line's start.
   * Typing changes that line on every keystroke; encoding it again (a few tokens) spares cutting
   * the kept keys and values out of a longer copy, which costs more.
   */
  private keptContext(last: DocumentContext, window: Window, contextLength: number): KvBlock {
    // Head, suffix and tail come first in the model's order and are the last request's, so what
    // differs starts in the prefix.
    const common = contextLength - window.prefixIds.length + commonLength(last.prefixIds, window.prefixIds);
    return common >= last.settled.tokens ? last.settled : firstTokens(last.settled, common, this.model);
  }

  /** The last request's window carried on to this request, or undefined when it cannot be. */
  private followOn(last: DocumentContext, request: ContextRequest): Window | undefined {
    if (!sameIds(last.head, request.head) || !sameIds(last.tail, request.tail)) return undefined;
    const suffixKept = last.suffixComplete ? request.suffix === last.suffixText : last.suffixText.endsWith('\n') && request.suffix.startsWith(last.suffixText);
    if (!suffixKept) return undefined;

    const prefix = request.prefix;
    const at = lineStartOf(prefix, leadingText(last.prefixLines, PROBE_CHARS));
    if (at < 0) return undefined;
    // Whole lines still there keep their tokens; from the first changed line on, encode again.
    const lines: Line[] = [];
    let pos = at;
    for (const line of last.prefixLines) {
      if (!line.text.endsWith('\n') || !prefix.startsWith(line.text, pos)) break;
      lines.push(line);
      pos += line.text.length;
    }
    // The first line's left-out tokens are only known while it is unchanged.
    if (lines.length === 0 && last.skip > 0) return undefined;
    for (const text of splitLines(prefix.slice(pos))) lines.push({ text, ids: this.encode(text) });
    const prefixIds = lines.flatMap((l) => l.ids).slice(last.skip);

    const used = request.head.length + prefixIds.length + last.suffixIds.length + request.tail.length;
    const gap = last.suffixStart - (request.head.length + prefixIds.length + request.canvasLength);
    if (used > this.options.maxContextTokens || gap < 0 || gap > this.options.maxSuffixGap) return undefined;
    return { ...last, prefixLines: lines, prefixIds };
  }

  /**
   * A new window: as many tokens as the budget less `room` holds, outward from the cursor, split
   * between the sides as the server always splits them (`fitLazily`); whole lines, but for the
   * farthest line of each side, which may be cut to fill the budget.
   */
  private freshWindow(request: ContextRequest): Window {
    const { head, tail, canvasLength } = request;
    const total = Math.max(0, this.options.maxContextTokens - head.length - tail.length - this.room);
    const before = new Lines(request.prefix, 'backward', this.encode);
    const after = new Lines(request.suffix, 'forward', this.encode);
    const { keepPrefix, keepSuffix } = fitLazily(before, after, total);

    const prefixLines = before.taken();
    const prefixAll = prefixLines.flatMap((l) => l.ids);
    const suffixLines = after.covering(keepSuffix);
    const suffixIds = suffixLines.flatMap((l) => l.ids).slice(0, keepSuffix);
    const suffixText = suffixLines.map((l) => l.text).join('');
    return {
      prefixLines,
      skip: prefixAll.length - keepPrefix,
      prefixIds: prefixAll.slice(prefixAll.length - keepPrefix),
      suffixText,
      suffixIds,
      suffixComplete: suffixText.length === request.suffix.length && suffixIds.length === suffixLines.reduce((n, l) => n + l.ids.length, 0),
      suffixStart: head.length + keepPrefix + canvasLength + this.room,
    };
  }
}

/** One side's lines, encoded one at a time outward from the cursor. */
class Lines implements LazySide {
  private readonly lines: Line[] = [];
  private count = 0;
  /** Characters of the text not yet split off, counted from the far end. */
  private rest: number;

  constructor(
    private readonly text: string,
    private readonly direction: 'backward' | 'forward',
    private readonly encode: (text: string) => number[],
  ) {
    this.rest = text.length;
  }

  /** Encodes lines until `n` tokens are known or the text is used up; returns min(n, known). */
  ensure(n: number): number {
    while (this.count < n && this.more()) this.next();
    return Math.min(n, this.count);
  }

  /** The lines encoded so far, in text order. */
  taken(): Line[] {
    return this.direction === 'backward' ? [...this.lines].reverse() : [...this.lines];
  }

  /** Forward: the fewest lines from the cursor that hold `n` tokens. */
  covering(n: number): Line[] {
    const out: Line[] = [];
    let count = 0;
    for (const line of this.lines) {
      if (count >= n) break;
      out.push(line);
      count += line.ids.length;
    }
    return out;
  }

  /** Before anything is split off, the cursor's line (maybe empty) is still to come. */
  private more(): boolean {
    return this.rest > 0 || this.lines.length === 0;
  }

  private next(): void {
    const t = this.text;
    let text: string;
    if (this.direction === 'backward') {
      const end = this.rest;
      // The cursor's line ends at the cursor; every other line ends with the `\n` at end - 1.
      const from = this.lines.length === 0 ? end - 1 : end - 2;
      const start = from < 0 ? 0 : t.lastIndexOf('\n', from) + 1;
      text = t.slice(start, end);
      this.rest = start;
    } else {
      const start = t.length - this.rest;
      const nl = t.indexOf('\n', start);
      const end = nl < 0 ? t.length : nl + 1;
      text = t.slice(start, end);
      this.rest = t.length - end;
    }
    const ids = this.encode(text);
    this.lines.push({ text, ids });
    this.count += ids.length;
  }
}

/** Tokens of the window's prefix on the cursor's line. */
function cursorLineTokens(window: Window): number {
  const line = window.prefixLines[window.prefixLines.length - 1];
  return line === undefined ? 0 : Math.min(line.ids.length, window.prefixIds.length);
}

/** `text` cut into lines, each with its `\n`; the last is what follows the last `\n` (maybe ''). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  lines.push(text.slice(start));
  return lines;
}

/** The first `n` characters of the lines' text. */
function leadingText(lines: readonly Line[], n: number): string {
  let text = '';
  for (const line of lines) {
    if (text.length >= n) break;
    text += line.text;
  }
  return text.slice(0, n);
}

/** The last offset of `probe` in `text` at the start of a line, or -1. */
function lineStartOf(text: string, probe: string): number {
  if (probe === '') return -1;
  for (let at = text.lastIndexOf(probe); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(probe, at - 1)) {
    if (at === 0 || text.charCodeAt(at - 1) === 10) return at;
  }
  return -1;
}

function commonLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && commonLength(a, b) === a.length;
}

function kvBytes(kv: KvBlock): number {
  return kv.keys.byteLength + kv.values.byteLength;
}

function emptyKv(): KvBlock {
  return { keys: new Float32Array(0), values: new Float32Array(0), tokens: 0 };
}

/** The first `n` tokens of `kv` ([layers, 1, heads, tokens, headDim]: a copy per layer and head). */
export function firstTokens(kv: KvBlock, n: number, shape: Pick<ExtendableContext, 'kv'>): KvBlock {
  if (n === kv.tokens) return kv;
  const { layers, heads, headDim } = shape.kv;
  const slice = (from: Float32Array): Float32Array => {
    const out = new Float32Array(layers * heads * n * headDim);
    for (let lh = 0; lh < layers * heads; lh++) out.set(from.subarray(lh * kv.tokens * headDim, (lh * kv.tokens + n) * headDim), lh * n * headDim);
    return out;
  };
  return { keys: slice(kv.keys), values: slice(kv.values), tokens: n };
}

/** `a` then `b` along the token axis. */
export function joinTokens(a: KvBlock, b: KvBlock, shape: Pick<ExtendableContext, 'kv'>): KvBlock {
  if (b.tokens === 0) return a;
  if (a.tokens === 0) return b;
  const { layers, heads, headDim } = shape.kv;
  const n = a.tokens + b.tokens;
  const join = (x: Float32Array, y: Float32Array): Float32Array => {
    const out = new Float32Array(layers * heads * n * headDim);
    for (let lh = 0; lh < layers * heads; lh++) {
      out.set(x.subarray(lh * a.tokens * headDim, (lh + 1) * a.tokens * headDim), lh * n * headDim);
      out.set(y.subarray(lh * b.tokens * headDim, (lh + 1) * b.tokens * headDim), (lh * n + a.tokens) * headDim);
    }
    return out;
  };
  return { keys: join(a.keys, b.keys), values: join(a.values, b.values), tokens: n };
}
