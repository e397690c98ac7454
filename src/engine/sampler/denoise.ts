/**
 * The one denoising loop: forward → open the commit window → score → commit → maybe re-mask → stop?
 * Everything that differs between samplers lives in the policies (policies.ts, commitWindow.ts).
 */
import { Canvas } from '../canvas';
import type { SamplerPolicy, PassState } from './policies';
import { Scores, ScoringSetup, scoreCanvas } from './scoring';
import { bannedThisPass, editLength, type LengthEditRule } from './lengthEdits';

/** canvas ids [N] → logits [N × V]. */
export type ForwardFn = (canvas: Int32Array) => Promise<Float32Array>;

/** Scores like scoreCanvas at temperature 0, elsewhere (e.g. on onnxruntime). */
export type FastScorer = (logits: Float32Array, canvas: Canvas, limit: number, scoreCommitted: boolean) => Promise<Scores>;

export interface DenoiseSetup extends ScoringSetup {
  /** Used instead of scoreCanvas at temperature 0, when given. */
  fastScorer?: FastScorer;
  canvasLength: number;
  maskId: number;
  /** pad, and eos where the model has one. */
  endIds: ReadonlySet<number>;
  /**
   * Token the model is shown at the positions after the first committed end token (training
   * fills the tail after the middle with pad), or undefined to leave them masked. The canvas
   * itself keeps them masked: re-masking the end token brings them back into play.
   */
  tailFill?: number;
  /**
   * Commit an end token only at the leftmost masked position: the middle's length is decided
   * once everything before it is. Without it, a model whose prior favours `<pad>` (they fill
   * most training canvases) commits pads right to left until the middle is empty.
   */
  endAtFrontier?: boolean;
  /**
   * A model that grows and shrinks its canvas (DreamOn): after each pass's commits, lengthEdits.ts
   * turns committed expand and delete tokens into a longer or shorter canvas. Absent: fixed length.
   */
  lengthEdits?: LengthEditRule;
}

export interface DenoiseHooks {
  /** Checked before every forward pass. */
  isCancelled?: () => boolean;
  /** After every pass. */
  onPass?: (canvas: Canvas, forwardPasses: number) => void;
}

export interface DenoiseResult {
  canvas: Canvas;
  forwardPasses: number;
  /** Commit events (a position re-masked and committed again counts twice). */
  commits: number;
  remasked: number;
  cancelled: boolean;
  /** Expand and delete tokens applied, where the setup has lengthEdits. */
  lengthEdits?: { expanded: number; deleted: number };
}

export async function denoise(forward: ForwardFn, setup: DenoiseSetup, policy: SamplerPolicy, hooks: DenoiseHooks = {}): Promise<DenoiseResult> {
  let canvas = new Canvas(setup.canvasLength, setup.maskId, setup.endIds);
  const maxPasses = policy.budget.maxPasses;
  let forwardPasses = 0;
  let commits = 0;
  let remasked = 0;
  const edits = setup.lengthEdits ? { expanded: 0, deleted: 0 } : undefined;
  const result = (cancelled: boolean): DenoiseResult => ({ canvas, forwardPasses, commits, remasked, cancelled, ...(edits ? { lengthEdits: edits } : {}) });

  while (!policy.stop.shouldStop(canvas) && forwardPasses < maxPasses) {
    if (hooks.isCancelled?.()) return result(true);
    const pass = forwardPasses;
    const logits = await forward(modelView(canvas, setup.tailFill));
    forwardPasses++;

    // The rules work inside the window: its masked positions, in its share of the budget.
    const active = canvas.maskedActive();
    const window = policy.window.open(canvas, active, maxPasses - pass);
    const masked = active.filter((i) => i >= window.from && i < window.to);
    const passesLeft = window.passesLeft;

    // Score what still matters: positions before the first committed end token, and that token (none past the window).
    const end = canvas.firstEnd();
    const limit = Math.min(end < 0 ? canvas.length : end + 1, window.to);
    const scoreCommitted = policy.remask.readsCommitted && passesLeft > 1;
    // The expand token is no candidate where the canvas may not grow (the fast scorer has the usual bans built in).
    const banned = setup.lengthEdits && bannedThisPass(setup.banned, canvas, passesLeft, setup.lengthEdits);
    const scores =
      setup.fastScorer && setup.temperature === 0 && !banned
        ? await setup.fastScorer(logits, canvas, limit, scoreCommitted)
        : scoreCanvas(logits, canvas, limit, banned ? { ...setup, banned } : setup, scoreCommitted);
    const candidates = setup.endAtFrontier ? masked.filter((i, k) => k === 0 || !setup.endIds.has(scores.candidate[i]!)) : masked;
    const state: PassState = { canvas, scores, pass, passesLeft, masked, candidates };

    const chosen = chooseCommits(state, policy);
    for (const i of chosen) canvas.commit(i, scores.candidate[i]!, scores.confidence[i]!, pass);
    commits += chosen.length;

    if (passesLeft > 1) {
      // Keep the net gain the budget needs (at least one position).
      const limit = chosen.length - Math.max(1, policy.budget.requiredGain(masked.length, passesLeft));
      if (limit > 0) {
        const undo = policy.remask.select(state, chosen, remaskEligible(canvas, pass, window.from, window.to), limit);
        for (const i of undo.slice(0, limit)) canvas.remask(i);
        remasked += Math.min(undo.length, limit);
      }
    }
    if (setup.lengthEdits && edits) {
      const edited = editLength(canvas, setup.lengthEdits);
      canvas = edited.canvas;
      edits.expanded += edited.expanded;
      edits.deleted += edited.deleted;
    }
    hooks.onPass?.(canvas, forwardPasses);
  }
  return result(false);
}

/** The canvas as the model sees it: the tail after the first end token filled when asked. */
function modelView(canvas: Canvas, tailFill: number | undefined): Int32Array {
  const end = tailFill === undefined ? -1 : canvas.firstEnd();
  if (end < 0 || end === canvas.length - 1) return canvas.ids;
  const view = Int32Array.from(canvas.ids);
  view.fill(tailFill!, end + 1);
  return view;
}

/**
 * The rule's picks, topped up with the most confident candidates to the rule's and the
 * budget's minimum (and, should the candidates run short of the budget's, with deferred ones).
 */
function chooseCommits(state: PassState, policy: SamplerPolicy): number[] {
  const { masked, candidates, passesLeft, scores } = state;
  if (passesLeft <= 1) return [...masked]; // last pass: everything
  const proposal = policy.commit.propose(state);
  const budgetNeed = policy.budget.requiredGain(masked.length, passesLeft);
  const need = Math.min(masked.length, Math.max(Math.min(proposal.atLeast, candidates.length), budgetNeed, 1));
  const allowed = new Set(candidates);
  const picked = new Set(proposal.positions.filter((i) => allowed.has(i)));
  const byConfidence = (pool: readonly number[]) => pool.filter((i) => !picked.has(i)).sort((a, b) => scores.confidence[b]! - scores.confidence[a]! || a - b);
  for (const pool of [candidates, masked]) {
    for (const i of byConfidence(pool)) {
      if (picked.size >= need) break;
      picked.add(i);
    }
  }
  return [...picked].sort((a, b) => a - b);
}

/** In the window [from, to), committed before this pass and still mattering (up to and including the first end token). */
function remaskEligible(canvas: Canvas, pass: number, from: number, to: number): number[] {
  const end = canvas.firstEnd();
  const limit = Math.min(end < 0 ? canvas.length : end + 1, to);
  const out: number[] = [];
  for (let i = from; i < limit; i++) if (canvas.committed[i] && canvas.commitPass[i]! < pass) out.push(i);
  return out;
}
