/**
 * The files a manifest names stay inside its model folder: a path is resolved against the folder,
 * and refused when absolute or when it climbs out with `..` (a link inside may point anywhere).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Fail } from './json';

/** `v` resolved against `dir`, refused when absolute or when it climbs out with `..`. */
export function insidePath(dir: string, key: string, v: string, fail: Fail): string {
  // Both flavours: a manifest written on one system may be read on the other.
  const absolute = path.posix.isAbsolute(v) || path.win32.isAbsolute(v);
  const resolved = path.resolve(dir, v);
  if (absolute || !isInside(dir, resolved)) fail(`"files.${key}" must be a path inside the model folder (relative to it), not ${JSON.stringify(v)}`);
  return resolved;
}

/** Whether `p` lies strictly inside `dir` (both absolute, neither checked on disk). */
function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
