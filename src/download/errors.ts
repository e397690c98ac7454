/**
 * The one error a download ends with. Its `kind` lets a caller decide (cancelled is not a failure
 * to report; a full disk and a gated model need different advice), and its message is the single
 * line a user reads, so every way a download can fail is worded here and nowhere else.
 */
export type DownloadErrorKind = 'network' | 'unauthorized' | 'notFound' | 'checksum' | 'diskFull' | 'cancelled' | 'http';

export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    /** A busy or failing server (408, 429, 5xx): worth another try after a pause. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export const CANCELLED_MESSAGE = 'cancelled; the partial download is kept and a new pull resumes it';

export function cancelled(): DownloadError {
  return new DownloadError('cancelled', CANCELLED_MESSAGE);
}

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
}

/** A network failure before any answer: the host cannot be reached at all. */
export function unreachable(host: string, code: string): DownloadError {
  return new DownloadError(
    'network',
    `cannot reach ${host} (${code}): check the network connection (in VS Code, also its http.proxy setting) and HF_ENDPOINT`,
  );
}

/**
 * An HTTP refusal from the Hub, worded from its status and its `X-Error-Code` header (the codes
 * huggingface_hub's hf_raise_for_status reads: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo).
 */
export function refusal(status: number, errorCode: string | undefined, what: { repo: string; revision: string; file?: string; endpoint: string }): DownloadError {
  const page = `${what.endpoint}/${what.repo}`;
  if (errorCode === 'RevisionNotFound') return new DownloadError('notFound', `revision "${what.revision}" of ${what.repo} not found on ${what.endpoint}`);
  if (errorCode === 'EntryNotFound') return new DownloadError('notFound', `${what.file ?? 'a file'} not found in ${what.repo} at ${what.revision}`);
  if (errorCode === 'RepoNotFound' || status === 404) {
    return new DownloadError('notFound', `${what.repo}${what.file ? ` (${what.file})` : ''} not found on ${what.endpoint}: check the repository id${what.revision === 'main' ? '' : ` and the revision "${what.revision}"`}`);
  }
  if (errorCode === 'GatedRepo' || status === 401 || status === 403) {
    return new DownloadError(
      'unauthorized',
      `${what.repo} refused the download (HTTP ${status}${errorCode ? `, ${errorCode}` : ''}): it may be gated or private. Accept its licence on ${page} and set HF_TOKEN to a Hugging Face access token (https://huggingface.co/settings/tokens)`,
    );
  }
  const busy = status === 408 || status === 429 || status >= 500;
  return new DownloadError('http', `${what.endpoint} answered HTTP ${status} for ${what.file ?? what.repo}`, busy);
}

export function diskFull(dir: string, detail: string): DownloadError {
  return new DownloadError('diskFull', `not enough free disk space in ${dir}: ${detail}. Free some space and try again (the files already downloaded are kept)`);
}
