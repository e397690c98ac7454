/**
 * Small policies composed around the one denoising loop (denoise.ts):
 * a commit rule (which masked positions to fill), a budget rule (how many at least, so the
 * canvas is done within the step budget), a re-mask rule (which committed positions to undo)
 * and a stop rule, all working inside the pass's commit window (commitWindow.ts). At the end: the rules each sampler kind of the protocol composes, and the
 * options a request leaves out filled with the decoder contract's defaults (../decoding.ts).
 */
import type { SamplerKind, SamplerOptions } from '../../protocol/protocol';
import type { Canvas } from '../canvas';
import type { Scores } from './scoring';
import { type WindowRule, wholeCanvas } from './commitWindow';
import { SAMPLER_DEFAULTS } from '../../protocol/decoding';

/** What a policy sees during one pass, after the forward and before any commit. */
export interface PassState {
  canvas: Canvas;
  scores: Scores;
  /** 0-based index of this pass. */
  pass: number;
  /** Passes left for the window's positions, this one included (≥ 1; the whole budget's without blocks). */
  passesLeft: number;
  /** Masked positions in the commit window that still matter, before this pass commits. */
  masked: readonly number[];
  /**
   * The masked positions a rule may commit this pass: `masked`, less any position whose
   * candidate is an end token while an earlier position is still masked (see DenoiseSetup.endAtFrontier).
   */
  candidates: readonly number[];
}

export interface CommitProposal {
  /** Positions the rule commits on its own. */
  positions: number[];
  /** The fewest this rule commits per pass; the loop tops up with the most confident. */
  atLeast: number;
}

export interface CommitRule {
  readonly name: string;
  propose(state: PassState): CommitProposal;
}

export interface RemaskRule {
  readonly name: string;
  /** Whether it reads `scores.currentProb` (else committed positions are not scored). */
  readonly readsCommitted: boolean;
  /**
   * Positions to re-mask, at most `limit`, chosen among `eligible` (committed in an earlier
   * pass and still mattering). `committedNow` is what this pass committed.
   */
  select(state: PassState, committedNow: readonly number[], eligible: readonly number[], limit: number): number[];
}

export interface BudgetRule {
  /** The most forward passes. */
  readonly maxPasses: number;
  /** Least net gain this pass so the rest fits in the passes left; the last pass takes all. */
  requiredGain(remaining: number, passesLeft: number): number;
}

export interface StopRule {
  shouldStop(canvas: Canvas): boolean;
}

export interface SamplerPolicy {
  commit: CommitRule;
  remask: RemaskRule;
  budget: BudgetRule;
  stop: StopRule;
  window: WindowRule;
}

// ── commit rules ────────────────────────────────────────────────────────────────────────────

/**
 * Saber's adaptive acceleration: τ = mean confidence-at-commit of the middle's committed tokens
 * (before any commit: the largest current confidence); commit every masked position above τ, and never
 * fewer than `minPerStep`.
 */
export function saberCommit(minPerStep: number): CommitRule {
  return {
    name: 'saber',
    propose({ canvas, scores, candidates }) {
      // Committed tokens of the middle: up to and including the first end token. Pads committed
      // beyond it are not part of the answer and, near-certain as they are, would inflate τ.
      const end = canvas.firstEnd();
      const upTo = end < 0 ? canvas.length : end + 1;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < upTo; i++) {
        if (canvas.committed[i]) {
          sum += canvas.commitConfidence[i]!;
          count++;
        }
      }
      const tau = count > 0 ? sum / count : Math.max(...candidates.map((i) => scores.confidence[i]!));
      return { positions: candidates.filter((i) => scores.confidence[i]! > tau), atLeast: minPerStep };
    },
  };
}

/** LLaDA's low-confidence remasking: only the budget's share, most confident first. */
export function lowConfidenceCommit(): CommitRule {
  return { name: 'lowConfidence', propose: () => ({ positions: [], atLeast: 1 }) };
}

/** Fast-dLLM's parallel decoding: every position above `threshold`, at least one. */
export function thresholdCommit(threshold: number): CommitRule {
  return {
    name: 'threshold',
    propose: ({ scores, candidates }) => ({ positions: candidates.filter((i) => scores.confidence[i]! > threshold), atLeast: 1 }),
  };
}

// ── re-mask rules ───────────────────────────────────────────────────────────────────────────

export const noRemask: RemaskRule = { name: 'off', readsCommitted: false, select: () => [] };

/**
 * Saber's backtracking: after committing D positions, re-mask k = clamp(⌈|D|/μ⌉, 1, |D| − 1)
 * earlier commits whose probability fell the most since commit. `onlyDropped` keeps only
 * positions whose probability actually fell (a variant; the paper re-masks every pass).
 */
export function saberRemask(divisor: number, onlyDropped: boolean): RemaskRule {
  return {
    name: onlyDropped ? 'onDrop' : 'always',
    readsCommitted: true,
    select({ canvas, scores }, committedNow, eligible, limit) {
      const d = committedNow.length;
      const k = Math.min(Math.max(Math.ceil(d / divisor), 1), d - 1, limit);
      if (k <= 0) return [];
      const drop = (i: number): number => canvas.commitConfidence[i]! - scores.currentProb[i]!;
      const ranked = eligible.filter((i) => !Number.isNaN(scores.currentProb[i]!) && (!onlyDropped || drop(i) > 0));
      ranked.sort((a, b) => drop(b) - drop(a) || a - b);
      return ranked.slice(0, k);
    },
  };
}

// ── budget and stop ─────────────────────────────────────────────────────────────────────────

/** At most `steps` passes: each pass gains ⌈remaining / passes left⌉, so the last one takes all. */
export function stepBudget(steps: number): BudgetRule {
  return {
    maxPasses: Math.max(1, Math.floor(steps)),
    requiredGain: (remaining, passesLeft) => Math.ceil(remaining / Math.max(1, passesLeft)),
  };
}

/** Stop once every position before the first committed end token (or the whole canvas) is committed. */
export const middleComplete: StopRule = { shouldStop: (canvas) => canvas.isDone() };

// ── the sampler kinds ───────────────────────────────────────────────────────────────────────

export type ResolvedSamplerOptions = Required<SamplerOptions>;

/** The request's options with the engine's defaults for those it leaves out (it was validated already). */
export function withDefaults(options: SamplerOptions): ResolvedSamplerOptions {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SamplerOptions;
  return { ...SAMPLER_DEFAULTS, ...set };
}

/** The commit and re-mask rules of each sampler kind the decoder's contract names (`samplerKinds`): a new kind is a key here and in decoding.json. */
const kindRules: { readonly [K in SamplerKind]: (o: ResolvedSamplerOptions) => Pick<SamplerPolicy, 'commit' | 'remask'> } = {
  saber: (o) => ({
    commit: saberCommit(o.minPerStep),
    remask: o.remask === 'off' ? noRemask : saberRemask(o.remaskDivisor, o.remask === 'onDrop'),
  }),
  lowConfidence: () => ({ commit: lowConfidenceCommit(), remask: noRemask }),
  threshold: (o) => ({ commit: thresholdCommit(o.threshold), remask: noRemask }),
};

/** The policy set for the options and a step budget; `window` where the model denoises block by block. */
export function buildPolicy(o: ResolvedSamplerOptions, steps: number, window: WindowRule = wholeCanvas): SamplerPolicy {
  return { ...kindRules[o.kind](o), budget: stepBudget(steps), stop: middleComplete, window };
}
