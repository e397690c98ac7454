/**
 * From the protocol's sampler options to a policy set, with the engine's defaults.
 */
import type { SamplerOptions } from '../../protocol/protocol';
import { InfillInputError } from '../errors';
import {
  SamplerPolicy,
  lowConfidenceCommit,
  middleComplete,
  noRemask,
  saberCommit,
  saberRemask,
  stepBudget,
  thresholdCommit,
} from './policies';

export const SAMPLER_DEFAULTS = {
  minPerStep: 2,
  remaskDivisor: 8,
  remask: 'always',
  threshold: 0.9,
  temperature: 0,
  seed: 0,
} as const satisfies Omit<Required<SamplerOptions>, 'kind'>;

export type ResolvedSamplerOptions = Required<SamplerOptions>;

/** Fills defaults and rejects values out of range with an InfillInputError. */
export function resolveSamplerOptions(options: SamplerOptions): ResolvedSamplerOptions {
  const o: ResolvedSamplerOptions = { ...SAMPLER_DEFAULTS, ...dropUndefined(options), kind: options.kind };
  if (o.kind !== 'saber' && o.kind !== 'lowConfidence' && o.kind !== 'threshold') bad(`unknown sampler kind ${JSON.stringify(o.kind)}`);
  if (!Number.isInteger(o.minPerStep) || o.minPerStep < 1) bad('sampler.minPerStep must be an integer >= 1');
  if (!(o.remaskDivisor > 0) || !Number.isFinite(o.remaskDivisor)) bad('sampler.remaskDivisor must be > 0');
  if (o.remask !== 'always' && o.remask !== 'onDrop' && o.remask !== 'off') bad('sampler.remask must be always, onDrop or off');
  if (!(o.threshold >= 0 && o.threshold <= 1)) bad('sampler.threshold must be in [0, 1]');
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) bad('sampler.temperature must be >= 0');
  if (!Number.isFinite(o.seed)) bad('sampler.seed must be a number');
  return o;
}

/** The policy set for the options and a step budget. */
export function buildPolicy(o: ResolvedSamplerOptions, steps: number): SamplerPolicy {
  const budget = stepBudget(steps);
  switch (o.kind) {
    case 'saber':
      return {
        commit: saberCommit(o.minPerStep),
        remask: o.remask === 'off' ? noRemask : saberRemask(o.remaskDivisor, o.remask === 'onDrop'),
        budget,
        stop: middleComplete,
      };
    case 'lowConfidence':
      return { commit: lowConfidenceCommit(), remask: noRemask, budget, stop: middleComplete };
    case 'threshold':
      return { commit: thresholdCommit(o.threshold), remask: noRemask, budget, stop: middleComplete };
  }
}

function bad(message: string): never {
  throw new InfillInputError(message);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
