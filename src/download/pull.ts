/**
 * Pulls a published checkpoint from the Hub: the revision's file list (its commit, sizes and
 * sha256s), only the files a conversion reads, a free-space check, then each file fetched and
 * verified (fileDownload.ts) into `<downloads>/<org>--<name>/<commit>/`. That folder is a
 * download cache, never a model folder: partial files stay there after a cancel or a failure,
 * and the next pull of the same revision resumes them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFreeSpace } from './diskSpace';
import { DownloadError } from './errors';
import { bytesOnDisk, downloadFile } from './fileDownload';
import { hubJson, type HubContext } from './http';
import { isRepoId, parseRevisionInfo, revisionInfoUrl, siblingSize, wantedFiles } from './hubRoutes';
import { ProgressMeter, type DownloadProgress } from './progress';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';

export interface PullOptions {
  repo: string;
  revision?: string;
  endpoint: string;
  token?: string;
  /** The download cache's root. */
  downloadsDir: string;
  /** Where the converted model will be written and its estimated size from the download's, for the space check. */
  output?: { dir: string; bytes: (downloadBytes: number) => number };
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  retry?: RetryPolicy;
  timeoutMs?: number;
  userAgent?: string;
}

export interface PullResult {
  /** The checkpoint folder: config.json, tokenizer.json, the safetensors… */
  dir: string;
  /** The commit the revision named. */
  sha: string;
  files: string[];
  /** The checkpoint's size. */
  bytes: number;
}

/** How often progress is reported at most (and at the end of each file). */
const REPORT_MS = 250;

/** The cache folder of one commit of `repo`. */
export function snapshotDir(downloadsDir: string, repo: string, sha: string): string {
  return path.join(downloadsDir, repo.replace('/', '--'), sha);
}

export async function pull(options: PullOptions): Promise<PullResult> {
  const revision = options.revision ?? 'main';
  if (!isRepoId(options.repo)) throw new DownloadError('notFound', `"${options.repo}" is not a Hugging Face repository id (org/name)`);
  const ctx: HubContext = {
    endpoint: options.endpoint,
    repo: options.repo,
    revision,
    token: options.token,
    userAgent: options.userAgent ?? 'dllm-complete',
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal,
  };
  const info = parseRevisionInfo(await hubJson(revisionInfoUrl(ctx.endpoint, ctx.repo, revision), ctx));
  const files = wantedFiles(info.siblings);
  if (!files.some((f) => f.rfilename === 'config.json') || !files.some((f) => f.rfilename.endsWith('.safetensors'))) {
    throw new DownloadError('notFound', `${options.repo} at ${revision} has no config.json and *.safetensors weights to convert (a checkpoint in another format cannot be)`);
  }
  const dir = snapshotDir(options.downloadsDir, options.repo, info.sha);
  fs.mkdirSync(dir, { recursive: true });
  const total = files.reduce((n, f) => n + (siblingSize(f) ?? 0), 0);
  const onDisk = files.reduce((n, f) => n + bytesOnDisk(dir, f), 0);
  const weightBytes = files.filter((f) => f.rfilename.endsWith('.safetensors')).reduce((n, f) => n + (siblingSize(f) ?? 0), 0);
  checkFreeSpace([{ dir, bytes: Math.max(0, total - onDisk) }, ...(options.output ? [{ dir: options.output.dir, bytes: options.output.bytes(weightBytes) }] : [])]);

  // Fetch at the commit, not the branch: a push during the download cannot mix two versions.
  const fileCtx = { ...ctx, revision: info.sha };
  const meter = new ProgressMeter(total, onDisk);
  let lastReport = 0;
  const report = (file: string, force = false): void => {
    const now = Date.now();
    if (!force && now - lastReport < REPORT_MS) return;
    lastReport = now;
    options.onProgress?.(meter.snapshot(file));
  };
  for (const sibling of files) {
    await downloadFile(sibling, dir, fileCtx, { meter, onBytes: report, retry: options.retry ?? DEFAULT_RETRY });
    report(sibling.rfilename, true);
  }
  return { dir, sha: info.sha, files: files.map((f) => f.rfilename), bytes: total };
}
