/**
 * The canvas: N positions between prefix and suffix, each masked or committed to a token.
 *
 * The middle is the committed text up to the first end token (`<pad>`, or eos where the model
 * has one). Positions after a committed end token do not matter, so the "active" canvas is
 * everything before the first committed end token; denoising is done once it is all committed.
 */
export class Canvas {
  /** [N] token per position; the mask id while masked. */
  readonly ids: Int32Array;
  /** [N] 1 when committed. */
  readonly committed: Uint8Array;
  /** [N] confidence the token had when committed (Saber's threshold and backtracking use it). */
  readonly commitConfidence: Float32Array;
  /** [N] pass that committed the token; -1 while masked. */
  readonly commitPass: Int32Array;

  constructor(
    readonly length: number,
    readonly maskId: number,
    /** Token ids that end the middle: pad, and eos when present. */
    readonly endIds: ReadonlySet<number>,
  ) {
    this.ids = new Int32Array(length).fill(maskId);
    this.committed = new Uint8Array(length);
    this.commitConfidence = new Float32Array(length);
    this.commitPass = new Int32Array(length).fill(-1);
  }

  commit(position: number, token: number, confidence: number, pass: number): void {
    this.ids[position] = token;
    this.committed[position] = 1;
    this.commitConfidence[position] = confidence;
    this.commitPass[position] = pass;
  }

  remask(position: number): void {
    this.ids[position] = this.maskId;
    this.committed[position] = 0;
    this.commitConfidence[position] = 0;
    this.commitPass[position] = -1;
  }

  /** Index of the first committed end token, or -1. */
  firstEnd(): number {
    for (let i = 0; i < this.length; i++) if (this.committed[i] && this.endIds.has(this.ids[i]!)) return i;
    return -1;
  }

  /** Positions that still matter: those before the first committed end token. */
  activeLength(): number {
    const end = this.firstEnd();
    return end < 0 ? this.length : end;
  }

  /** Masked positions that still matter, in order. */
  maskedActive(): number[] {
    const out: number[] = [];
    const n = this.activeLength();
    for (let i = 0; i < n; i++) if (!this.committed[i]) out.push(i);
    return out;
  }

  /** Every position before the first committed end token is committed. */
  isDone(): boolean {
    return this.maskedActive().length === 0;
  }

  committedCount(): number {
    let c = 0;
    for (let i = 0; i < this.length; i++) c += this.committed[i]!;
    return c;
  }

  /** Committed tokens from the start, up to the first end token or the first masked position. */
  middleTokens(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) {
      if (!this.committed[i] || this.endIds.has(this.ids[i]!)) break;
      out.push(this.ids[i]!);
    }
    return out;
  }

  /**
   * Progress text: committed runs decoded, each masked position shown as `glyph`, up to the
   * first committed end token.
   */
  progressText(decode: (ids: readonly number[]) => string, glyph: string): string {
    const n = this.activeLength();
    let text = '';
    let run: number[] = [];
    for (let i = 0; i < n; i++) {
      if (this.committed[i]) {
        run.push(this.ids[i]!);
      } else {
        if (run.length > 0) text += decode(run);
        run = [];
        text += glyph;
      }
    }
    if (run.length > 0) text += decode(run);
    return text;
  }
}
