/**
 * The text around the cursor that is sent to the engine, cut by characters first: tokenizing
 * costs about 1–2 ms per KB, so a whole large document must never be sent. Windows start and end
 * on line boundaries where possible, and line ends are normalised to `\n` (the model's training).
 */
import { normalizeEol } from './lines';

export interface WindowSizes {
  /** Most characters before the cursor. */
  prefixChars: number;
  /** Most characters after the cursor. */
  suffixChars: number;
}

/** Inline completions: short windows keep the context pass cheap. */
export const inlineWindow: WindowSizes = { prefixChars: 3000, suffixChars: 1000 };
/** Command infills: more context; the server still cuts to the model's context length. */
export const commandWindow: WindowSizes = { prefixChars: 6000, suffixChars: 3000 };

export interface ContextWindow {
  prefix: string;
  suffix: string;
  /** True when the prefix was cut (the model does not see the start of the document). */
  prefixCut: boolean;
  suffixCut: boolean;
}

/** Cuts windows from `before` (text up to the cursor) and `after` (text from the cursor). */
export function cutWindow(before: string, after: string, sizes: WindowSizes): ContextWindow {
  let prefix = before;
  const prefixCut = prefix.length > sizes.prefixChars;
  if (prefixCut) {
    prefix = prefix.slice(prefix.length - sizes.prefixChars);
    const nl = prefix.indexOf('\n');
    // Start on a whole line unless that throws away most of the window.
    if (nl >= 0 && nl < prefix.length / 2) prefix = prefix.slice(nl + 1);
    else if (isLowSurrogate(prefix.charCodeAt(0))) prefix = prefix.slice(1);
  }
  let suffix = after;
  const suffixCut = suffix.length > sizes.suffixChars;
  if (suffixCut) {
    suffix = suffix.slice(0, sizes.suffixChars);
    const nl = suffix.lastIndexOf('\n');
    if (nl >= suffix.length / 2) suffix = suffix.slice(0, nl + 1);
    else if (isHighSurrogate(suffix.charCodeAt(suffix.length - 1))) suffix = suffix.slice(0, -1);
  }
  return { prefix: normalizeEol(prefix), suffix: normalizeEol(suffix), prefixCut, suffixCut };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
