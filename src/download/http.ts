/**
 * GET requests to the Hub with Node's own http/https modules: in VS Code's extension host these
 * go through VS Code's proxy settings (`http.proxy`), which patch exactly these modules. Redirects
 * are followed here (the token travels only to the Hub's host, hubRoutes.requestHeaders), a
 * stalled connection times out, and every refusal becomes one DownloadError.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { DownloadError, cancelled, refusal, unreachable } from './errors';
import { requestHeaders } from './hubRoutes';

export interface HubContext {
  endpoint: string;
  repo: string;
  revision: string;
  token?: string;
  userAgent: string;
  /** A connection silent this long (connecting, or mid-body) counts as cut. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 10;
/** Hosts that are not there at all: no network, a wrong HF_ENDPOINT. Said at once, never retried. */
const UNREACHABLE = new Set(['ENOTFOUND', 'ECONNREFUSED', 'EAI_NONAME']);

/**
 * The answer to `GET url` after redirects: a 2xx or a 416 (which a resume handles), its body not
 * yet read. Anything else throws a DownloadError (a 5xx one is marked retryable).
 */
export async function hubGet(url: string, ctx: HubContext, file?: string, rangeStart = 0): Promise<http.IncomingMessage> {
  for (let redirects = 0; ; redirects++) {
    const response = await request(url, requestHeaders(url, ctx.endpoint, ctx.token, ctx.userAgent, rangeStart), ctx);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      response.resume();
      if (redirects >= MAX_REDIRECTS) throw new DownloadError('http', `too many redirects fetching ${file ?? url}`);
      url = new URL(location, url).toString();
      continue;
    }
    if ((status >= 200 && status < 300) || status === 416) return response;
    response.resume();
    const code = response.headers['x-error-code'];
    throw refusal(status, typeof code === 'string' ? code : undefined, { repo: ctx.repo, revision: ctx.revision, file, endpoint: ctx.endpoint });
  }
}

/** `GET url` read whole as JSON (the revision listing: kilobytes). */
export async function hubJson(url: string, ctx: HubContext): Promise<unknown> {
  const response = await hubGet(url, ctx);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer);
  } catch (error) {
    throw translate(error, url, ctx);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DownloadError('http', `${ctx.endpoint} answered ${url} with something other than JSON`);
  }
}

function request(url: string, headers: Record<string, string>, ctx: HubContext): Promise<http.IncomingMessage> {
  if (ctx.signal?.aborted) return Promise.reject(cancelled());
  const module = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = module.request(url, { method: 'GET', headers, signal: ctx.signal }, resolve);
    req.setTimeout(ctx.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer from ${new URL(url).host} in ${ctx.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(translate(error, url, ctx)));
    req.end();
  });
}

/** A cancel and an unreachable host become their DownloadError; other errors keep their code for the retry rule. */
export function translate<E>(error: E, url: string, ctx: Pick<HubContext, 'signal'>): E | DownloadError {
  if (error instanceof DownloadError) return error;
  if (ctx.signal?.aborted || (error as { name?: string })?.name === 'AbortError') return cancelled();
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return unreachable(new URL(url).host, code);
  return error;
}
