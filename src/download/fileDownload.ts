/**
 * One file of a revision, fetched the way huggingface_hub's file_download.py does it: streamed to
 * `<name>.incomplete` (constant memory: one chunk at a time, hashed as it is written), resumed with
 * `Range: bytes=N-` when a partial file is there, retried with back-off when the connection breaks,
 * verified against the sha256 the Hub lists (a file kept in git: its git blob id), and only then
 * renamed to its name. A file under its own name is therefore always complete and verified.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../base/errorText';
import { DownloadError, diskFull } from './errors';
import { hubGet, translate, type HubContext } from './http';
import { resolveUrl, siblingSize, type Sibling } from './hubRoutes';
import type { ProgressMeter } from './progress';
import { TransientError, backoffMs, isRetryable, type RetryPolicy } from './retry';

export const INCOMPLETE = '.incomplete';

export interface FileHooks {
  meter: ProgressMeter;
  /** Called after each chunk (the caller throttles what it shows). */
  onBytes(file: string): void;
  retry: RetryPolicy;
}

/** Bytes already on disk for `sibling` in `dir`: its finished file, or its partial one. */
export function bytesOnDisk(dir: string, sibling: Sibling): number {
  const final = path.join(dir, sibling.rfilename);
  if (fs.existsSync(final)) return fs.statSync(final).size;
  return fs.existsSync(final + INCOMPLETE) ? fs.statSync(final + INCOMPLETE).size : 0;
}

/** Fetches `sibling` into `dir` (or finds it there already) and returns its path. */
export async function downloadFile(sibling: Sibling, dir: string, ctx: HubContext, hooks: FileHooks): Promise<string> {
  const file = sibling.rfilename;
  const final = path.join(dir, file);
  const partial = final + INCOMPLETE;
  const size = siblingSize(sibling);
  if (fs.existsSync(final) && (size === undefined || fs.statSync(final).size === size)) return final;
  for (let attempt = 0; ; attempt++) {
    try {
      await attemptOnce(sibling, partial, ctx, hooks);
      fs.renameSync(partial, final);
      return final;
    } catch (raw) {
      const error = translate(raw, file, ctx);
      if ((error as { code?: unknown })?.code === 'ENOSPC') throw diskFull(dir, `the disk filled up while writing ${file}`);
      if (!isRetryable(error)) throw asDownloadError(error, file);
      if (attempt >= hooks.retry.retries) throw asDownloadError(error, file, attempt + 1);
      try {
        await delay(backoffMs(attempt + 1, hooks.retry), undefined, { signal: ctx.signal });
      } catch (sleepError) {
        throw translate(sleepError, file, ctx);
      }
    }
  }
}

async function attemptOnce(sibling: Sibling, partial: string, ctx: HubContext, hooks: FileHooks): Promise<void> {
  const file = sibling.rfilename;
  const size = siblingSize(sibling);
  let start = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  if (size !== undefined && start > size) start = restart(partial, start, hooks);
  // On resume the part already there is hashed first, so the digest covers the whole file.
  let hash = newHash(sibling);
  if (start > 0) await hashFile(partial, hash);
  if (size === undefined || start < size) {
    const response = await hubGet(resolveUrl(ctx.endpoint, ctx.repo, ctx.revision, file), ctx, file, start);
    const status = response.statusCode ?? 0;
    const resumedAt = /^bytes (\d+)-/.exec(response.headers['content-range'] ?? '')?.[1];
    if (status === 416 || (start > 0 && (status !== 206 || Number(resumedAt) !== start))) {
      // 416: the partial file does not fit the file as it is now; 200: the server ignored the range.
      // Either way the file starts over, as huggingface_hub does.
      start = restart(partial, start, hooks);
      hash = newHash(sibling);
      if (status !== 200) {
        response.resume();
        throw new TransientError(`${file} could not be resumed (HTTP ${status}); starting it again`);
      }
    }
    const expected = size ?? Number(response.headers['content-length'] ?? NaN);
    let received = 0;
    const fd = fs.openSync(partial, start > 0 ? 'a' : 'w');
    // Each chunk is on disk before the next is read: whatever arrived before a cut is kept for the
    // resume, and the stream's backpressure holds memory to one chunk.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          return done(error as Error);
        }
        hash?.update(chunk);
        received += chunk.length;
        hooks.meter.add(chunk.length);
        hooks.onBytes(file);
        done();
      },
    });
    try {
      await pipeline(response, sink, { signal: ctx.signal });
    } finally {
      fs.closeSync(fd);
    }
    if (Number.isFinite(expected) && start + received < expected) throw new TransientError(`${file} arrived short (${start + received} of ${expected} bytes)`);
  }
  verify(sibling, partial, hash);
}

/** Drops a partial file that cannot be resumed; its bytes come off the progress. Returns the new start, 0. */
function restart(partial: string, start: number, hooks: FileHooks): number {
  fs.rmSync(partial, { force: true });
  hooks.meter.add(-start);
  return 0;
}

/** The digest the listing gives: sha256 for an LFS file, the git blob sha1 for one kept in git. */
function newHash(sibling: Sibling): Hash | undefined {
  if (sibling.lfs) return createHash('sha256');
  if (sibling.blobId && sibling.size !== undefined) return createHash('sha1').update(`blob ${sibling.size}\0`);
  return undefined;
}

async function hashFile(file: string, hash: Hash | undefined): Promise<void> {
  if (!hash) return;
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}

function verify(sibling: Sibling, partial: string, hash: Hash | undefined): void {
  const size = siblingSize(sibling);
  const actualSize = fs.statSync(partial).size;
  const expected = sibling.lfs?.sha256 ?? sibling.blobId;
  const actual = hash?.digest('hex');
  if ((size !== undefined && actualSize !== size) || (expected !== undefined && actual !== undefined && actual !== expected.toLowerCase())) {
    fs.rmSync(partial, { force: true });
    const what = size !== undefined && actualSize !== size ? `${actualSize} bytes instead of ${size}` : `${sibling.lfs ? 'sha256' : 'git blob id'} ${actual} instead of ${expected}`;
    throw new DownloadError('checksum', `${sibling.rfilename} failed its check (${what}), so it was deleted: the download was corrupted on the way; try again`);
  }
}

function asDownloadError(error: unknown, file: string, tries?: number): DownloadError {
  if (error instanceof DownloadError) return tries === undefined ? error : new DownloadError(error.kind, `${error.message} (after ${tries} tries)`);
  const reason = errorMessage(error);
  return new DownloadError('network', `the download of ${file} broke off${tries === undefined ? '' : ` ${tries} times`} (${reason}); a new pull resumes it`);
}
