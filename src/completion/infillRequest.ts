/**
 * The one builder of an infill request (src/protocol's `InfillRequest.Params`): the text around
 * the cursor that the model reads, its language, what the request may spend (canvas, forward
 * passes, sampler) and its mode. The extension's inline provider and commands, the command line
 * and the benchmarks all send what it builds. Text in and out has LF line ends.
 */
import type { InfillMode, InfillRequest, SamplerOptions } from '../protocol/protocol';
import { cutWindow, windowChars, type ContextWindow } from './contextWindow';

/** What a request may spend, from the settings: the canvas, the forward passes, the sampler. */
export interface InfillBudget {
  maxTokens: number;
  stepBudget: number;
  sampler: SamplerOptions;
}

export interface InfillRequestParts {
  /** The text the request carries: `modelWindow`'s cut, or one cut by characters (contextWindow.ts). */
  window: { prefix: string; suffix: string };
  /** VS Code language id; absent or empty: none. */
  language?: string | undefined;
  budget: InfillBudget;
  mode: InfillMode;
  /** The document's URI, for a model that keeps a document's context between requests. */
  document?: string | undefined;
  /** Ask for the first pass's canvas logits (checking a model, not editing). */
  dumpFirstPass?: boolean | undefined;
}

/** The text around the cursor that a model reading `maxContextTokens` tokens is sent (`before` ends at the cursor, `after` starts there). */
export function modelWindow(before: string, after: string, maxContextTokens: number): ContextWindow {
  return cutWindow(before, after, windowChars(maxContextTokens));
}

/** The request's parameters; fields left out stay out of the message. */
export function infillRequest(parts: InfillRequestParts): InfillRequest.Params {
  const { window, language, budget, mode, document, dumpFirstPass } = parts;
  return {
    prefix: window.prefix,
    suffix: window.suffix,
    ...(language === undefined ? {} : { language }),
    maxTokens: budget.maxTokens,
    stepBudget: budget.stepBudget,
    sampler: budget.sampler,
    mode,
    ...(document === undefined ? {} : { document }),
    ...(dumpFirstPass === undefined ? {} : { dumpFirstPass }),
  };
}
