/**
 * What a converted model says about where it came from: the licence from the checkpoint's model
 * card (README.md front matter `license:`, with `license_name:` for "other"), and the checkpoint's
 * name (the Hub repo id when the folder is a Hugging Face cache snapshot, else the folder's name).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const UNKNOWN_LICENSE = "unknown (see the checkpoint's model card)";

/** Model cards are small; a larger README.md is read only this far (the front matter is at its top). */
const MAX_CARD_BYTES = 256 * 1024;

export function readLicense(checkpointDir: string): string {
  const front = frontMatter(checkpointDir);
  if (front === undefined) return UNKNOWN_LICENSE;
  const license = field(front, 'license');
  if (license === undefined) return UNKNOWN_LICENSE;
  const name = field(front, 'license_name');
  return license === 'other' && name !== undefined ? `other (${name})` : license;
}

/** `owner/name` for `…/models--owner--name/snapshots/<revision>`, else the folder's own name. */
export function checkpointName(checkpointDir: string): string {
  const parts = path.resolve(checkpointDir).split(path.sep);
  const snapshots = parts.lastIndexOf('snapshots');
  const cached = snapshots > 0 ? /^models--(.+?)--(.+)$/.exec(parts[snapshots - 1]!) : null;
  return cached ? `${cached[1]}/${cached[2]}` : (parts[parts.length - 1] ?? checkpointDir);
}

function frontMatter(dir: string): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(path.join(dir, 'README.md'), 'r');
    try {
      const buffer = Buffer.alloc(MAX_CARD_BYTES);
      text = buffer.subarray(0, fs.readSync(fd, buffer, 0, MAX_CARD_BYTES, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // no model card: the licence is unknown, which the manifest says
  }
  const match = /^---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(text);
  return match?.[1];
}

/** A top-level `key: value` line of YAML front matter, quotes removed. */
function field(front: string, key: string): string | undefined {
  const match = new RegExp(`^${key}:[ \\t]*(.+?)[ \\t]*$`, 'm').exec(front);
  const value = match?.[1]?.replace(/^(["'])(.*)\1$/, '$2').trim();
  return value ? value : undefined;
}
