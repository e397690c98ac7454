/**
 * DreamOn's length edits, the one step that changes a canvas's length (DreamLM/DreamOn, the
 * model's `_sample` in generation_utils.py and eval/generator.py `batch_generate_with_expand_as_token`):
 * after a pass's commits, every committed delete token is removed, then every committed expand
 * token becomes two masked positions, so the middle can grow or shrink between passes.
 *
 * The canvas may not grow past `maxLength`: at that length, and on the last pass (whose new masks
 * nothing would fill), the expand token is no candidate, as DreamOn bans it once its window is full.
 * Where one pass commits several expands that together pass the cap (DreamOn commits one token a
 * pass, so it never meets this), the leftmost grow and the others stay a single masked position.
 */
import { Canvas } from '../canvas';
import type { LengthTokens } from '../../modelFolder/lengthTokens';

/**
 * Masked positions a growing canvas starts with (capped by the request's tokens): DreamOn's
 * quickstart prompts with 4 masks, and its evaluation config's min_gen_len is 4.
 */
export const START_LENGTH = 4;

export interface LengthEditRule extends LengthTokens {
  /** Longest canvas: the request's tokens (and the model's canvas limit). */
  maxLength: number;
}

export interface LengthEdit {
  /** The canvas after the edits: the same object where nothing changed. */
  canvas: Canvas;
  expanded: number;
  deleted: number;
}

/** Whether the expand token may be committed on this pass. */
export function expandAllowed(canvas: Canvas, passesLeft: number, rule: LengthEditRule): boolean {
  return canvas.length < rule.maxLength && passesLeft > 1;
}

/** `banned` with the expand token added where it may not be committed this pass; undefined where it may. */
export function bannedThisPass(banned: Uint8Array, canvas: Canvas, passesLeft: number, rule: LengthEditRule): Uint8Array | undefined {
  if (expandAllowed(canvas, passesLeft, rule) || banned[rule.expand]) return undefined;
  const out = Uint8Array.from(banned);
  out[rule.expand] = 1;
  return out;
}

/** The canvas after removing committed delete tokens and doubling committed expand tokens into masks. */
export function editLength(canvas: Canvas, rule: LengthEditRule): LengthEdit {
  /** Per position: -1 kept; 0 deleted; 2 an expand that grows, 1 one past the cap (a single masked position). */
  const kinds = new Int8Array(canvas.length).fill(-1);
  let deleted = 0;
  for (let i = 0; i < canvas.length; i++) {
    if (canvas.committed[i] && canvas.ids[i] === rule.delete) {
      kinds[i] = 0;
      deleted++;
    }
  }
  // Deletions first (they make room), then expansions left to right while under the cap.
  let room = rule.maxLength - (canvas.length - deleted);
  let expanded = 0;
  let unchanged = deleted === 0;
  for (let i = 0; i < canvas.length; i++) {
    if (!canvas.committed[i] || canvas.ids[i] !== rule.expand) continue;
    unchanged = false;
    kinds[i] = room > 0 ? 2 : 1;
    if (room > 0) {
      room--;
      expanded++;
    }
  }
  if (unchanged) return { canvas, expanded: 0, deleted: 0 };

  const next = new Canvas(canvas.length - deleted + expanded, canvas.maskId, canvas.endIds);
  let j = 0;
  for (let i = 0; i < canvas.length; i++) {
    if (kinds[i] !== -1) {
      j += kinds[i]!; // new positions start masked
      continue;
    }
    if (canvas.committed[i]) next.commit(j, canvas.ids[i]!, canvas.commitConfidence[i]!, canvas.commitPass[i]!);
    j++;
  }
  return { canvas: next, expanded, deleted };
}
