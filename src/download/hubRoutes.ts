/**
 * The Hugging Face Hub's routes, as huggingface_hub builds them (constants.py, hf_api.py,
 * file_download.py), and which of a repository's files a conversion needs. Pure: no network.
 */

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** `HF_ENDPOINT` (a mirror or a test server) or the Hub; no trailing slash, as huggingface_hub strips it. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.HF_ENDPOINT?.trim();
  return (value ? value : DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** `HF_TOKEN`, when set and not blank. */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.HF_TOKEN?.trim();
  return value ? value : undefined;
}

/** `org/name`: the Hub's repository ids (letters, digits, `-`, `_`, `.`; no `..`, no leading or trailing `-`/`.`). */
const REPO_PART = /^(?![-.])[A-Za-z0-9._-]{1,96}(?<![-.])$/;

export function isRepoId(repo: string): boolean {
  const parts = repo.split('/');
  return parts.length === 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('..'));
}

/** `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true`: the commit and every file with its size and LFS sha256. */
export function revisionInfoUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
}

/** `GET {endpoint}/{repo}/resolve/{rev}/{file}`: the file itself; a large one answers with a redirect to its storage. */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  // huggingface_hub quotes the revision whole (a branch may hold `/`) and the file name keeping its `/`.
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The headers of a request to `url`. The token goes to the Hub's own host only: a redirect to
 * another host (the storage a large file lives on) is already signed, and huggingface_hub drops
 * the token there too, so it never leaks to a third party.
 */
export function requestHeaders(url: string, endpoint: string, token: string | undefined, userAgent: string, rangeStart = 0): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': userAgent, 'accept-encoding': 'identity' };
  if (token !== undefined && new URL(url).host === new URL(endpoint).host) headers.authorization = `Bearer ${token}`;
  if (rangeStart > 0) headers.range = `bytes=${rangeStart}-`;
  return headers;
}

/** One file of a revision, as `?blobs=true` lists it. */
export interface Sibling {
  rfilename: string;
  size?: number;
  /** The git blob id (sha1 of `blob <size>\0` + content) of a file kept in git. */
  blobId?: string;
  lfs?: { sha256: string; size: number };
}

export interface RevisionInfo {
  /** The commit the revision names: files are fetched at it, so a branch moving mid-download changes nothing. */
  sha: string;
  siblings: Sibling[];
}

/** Reads the revision endpoint's JSON, refusing what it does not understand. */
export function parseRevisionInfo(json: unknown): RevisionInfo {
  const o = json as { sha?: unknown; siblings?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.sha !== 'string' || !Array.isArray(o.siblings)) {
    throw new Error('the Hub answered without a commit and a file list');
  }
  const siblings = (o.siblings as Sibling[]).filter((s) => typeof s?.rfilename === 'string');
  return { sha: o.sha, siblings };
}

/** What a conversion reads (config, tokenizer, model card for the licence, the safetensors and their index); never *.bin or *.pt. */
const WANTED = new Set(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md', 'model.safetensors.index.json']);

export function wantedFiles(siblings: readonly Sibling[]): Sibling[] {
  // Only top-level files: a checkpoint's subfolders hold other variants, not the one to convert.
  return siblings.filter((s) => !s.rfilename.includes('/') && (WANTED.has(s.rfilename) || s.rfilename.endsWith('.safetensors')));
}

/** A file's size from the listing (an LFS file's is its LFS size), or undefined when not listed. */
export function siblingSize(s: Sibling): number | undefined {
  return s.lfs?.size ?? s.size;
}
