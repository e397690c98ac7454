/**
 * The one-line message a command infill's progress notification shows after each forward pass:
 * where the denoising stands, and the tail of the partly denoised text. No `vscode` import.
 */
import { maskGlyph, type InfillProgressNotification } from '../protocol/protocol';

const maxChars = 90;

export function progressPreview(p: InfillProgressNotification.Params['value']): string {
  // Notifications show one line: line breaks become ⏎, long runs of masks a count.
  const runs = new RegExp(`${maskGlyph}{4,}`, 'g');
  const flat = p.text.replace(/\r?\n/g, '⏎').replace(runs, (m) => `${maskGlyph}×${m.length}`);
  const tail = flat.length > maxChars ? `…${flat.slice(-maxChars)}` : flat;
  return `pass ${p.forwardPasses} · ${p.committed}/${p.canvasTokens} committed — ${tail}`;
}
