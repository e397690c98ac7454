/**
 * The one-line message a command infill's progress notification shows while the model denoises:
 * how many of the canvas's tokens are decided, and the text so far, with each run of positions
 * still undecided shown as `[…]`. No `vscode` import.
 */
import { maskGlyph, type InfillProgressNotification } from '../protocol/protocol';

const maxChars = 90;
export const undecided = '[…]';

export function progressPreview(p: InfillProgressNotification.Params['value']): string {
  const counts = `${p.committed} of ${p.canvasTokens} tokens decided`;
  // Notifications show one line: line breaks become ⏎. Undecided positions at the end are the
  // canvas not yet written, already counted above; those inside the text are holes still open.
  const runs = new RegExp(`${maskGlyph}+`, 'g');
  if (p.text.replace(runs, '').trim() === '') return `${counts}, no text yet`;
  const trailing = new RegExp(`[${maskGlyph}\\s]+$`);
  const flat = p.text.replace(trailing, '').replace(/\r?\n/g, ' ⏎ ').replace(runs, undecided).trim();
  const text = flat.length > maxChars ? `…${flat.slice(-maxChars)}` : flat;
  return `${counts}: ${text}`;
}
