/**
 * The free-space check before a download starts: what is still to download, plus the converted
 * model's estimated size, against what the disks holding them have free. Refusing at the start
 * beats a full disk half way through a 15 GB download.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diskFull, gib } from './errors';

/** Room kept free besides: a full disk breaks more than this download. */
const MARGIN = 256 * 2 ** 20;

export interface SpaceNeed {
  /** A folder (need not exist yet) and the bytes that will be written under it. */
  dir: string;
  bytes: number;
}

/** Throws a DownloadError ('diskFull') when a disk cannot hold what is to be written to it. */
export function checkFreeSpace(needs: readonly SpaceNeed[]): void {
  // Needs on the same disk add up.
  const byDevice = new Map<number, { dir: string; bytes: number }>();
  for (const need of needs) {
    const existing = nearestExisting(need.dir);
    const device = fs.statSync(existing).dev;
    const entry = byDevice.get(device) ?? { dir: existing, bytes: 0 };
    entry.bytes += need.bytes;
    byDevice.set(device, entry);
  }
  for (const { dir, bytes } of byDevice.values()) {
    const stats = fs.statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    if (free < bytes + MARGIN) throw diskFull(dir, `the download and the converted model need about ${gib(bytes)}, ${gib(free)} is free`);
  }
}

function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}
