/**
 * Test helper: a stand-in for the Hugging Face Hub on 127.0.0.1, with the routes the download
 * client uses (the revision listing with sizes, git blob ids and LFS sha256s; `resolve`, which
 * answers a large file with a 302 to a second server on another port, as the Hub sends LFS files
 * to its storage host) and switches for each way a download can go wrong: a connection cut half
 * way once, corrupted bytes, 401/403/404, a server that ignores Range, a 503 once, a slow trickle.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface ServedFile {
  size: number;
  sha256: string;
  blobId: string;
  /** Sent through the storage redirect and listed with `lfs`, as the Hub does for *.safetensors. */
  lfs: boolean;
  /** Bytes [start, end) in chunks. */
  read(start: number, end: number): Iterable<Buffer>;
}

export interface HubModes {
  /** Every API and resolve request answers this status (with this X-Error-Code). */
  status?: { code: number; errorCode?: string };
  /** The first request for this file sends half its bytes, then cuts the connection. */
  cutOnce?: string;
  /** This file's bytes are served with one byte flipped. */
  corrupt?: string;
  /** Range requests are answered 200 with the whole file. */
  ignoreRange?: boolean;
  /** The first request for this file answers 503. */
  unavailableOnce?: string;
  /** Bytes per second for LFS files (in 1 KiB chunks). */
  bytesPerSecond?: number;
  /** A token the API and resolve routes require (`Authorization: Bearer …`), answering 401 without it. */
  requireToken?: string;
}

export interface SeenRequest {
  server: 'hub' | 'storage';
  path: string;
  range?: string;
  authorization?: string;
}

function bufferFile(data: Buffer, lfs: boolean): ServedFile {
  const blobId = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex'), blobId, lfs, read: (s, e) => [data.subarray(s, e)] };
}

/** A large file made on the fly (one random MiB repeated, each copy stamped with its index): nothing of its size is ever in memory. */
export function generatedFile(size: number): ServedFile {
  const block = Buffer.alloc(2 ** 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const chunkAt = (index: number): Buffer => {
    const copy = Buffer.from(block);
    copy.writeUInt32LE(index, 0);
    return copy;
  };
  const read = function* (start: number, end: number): Iterable<Buffer> {
    for (let at = start; at < end; ) {
      const index = Math.floor(at / block.length);
      const from = at - index * block.length;
      const to = Math.min(block.length, end - index * block.length);
      yield chunkAt(index).subarray(from, to);
      at += to - from;
    }
  };
  const sha = createHash('sha256');
  const sha1 = createHash('sha1').update(`blob ${size}\0`);
  for (const chunk of read(0, size)) {
    sha.update(chunk);
    sha1.update(chunk);
  }
  return { size, sha256: sha.digest('hex'), blobId: sha1.digest('hex'), lfs: true, read };
}

export class HubServer {
  readonly files = new Map<string, ServedFile>();
  readonly seen: SeenRequest[] = [];
  modes: HubModes = {};
  readonly sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  private readonly hub = http.createServer((req, res) => this.onHub(req, res));
  private readonly storage = http.createServer((req, res) => this.onStorage(req, res));
  private readonly served = new Map<string, number>();

  constructor(readonly repo: string) {}

  /** Serves every file of a checkpoint folder (safetensors as LFS files). */
  addFolder(dir: string): this {
    for (const name of fs.readdirSync(dir)) this.files.set(name, bufferFile(fs.readFileSync(path.join(dir, name)), name.endsWith('.safetensors')));
    return this;
  }

  async start(): Promise<this> {
    await Promise.all([this.hub, this.storage].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  private get storageUrl(): string {
    return `http://127.0.0.1:${(this.storage.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of [this.hub, this.storage]) s.closeAllConnections();
    await Promise.all([this.hub, this.storage].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private record(server: SeenRequest['server'], req: http.IncomingMessage): void {
    this.seen.push({ server, path: decodeURIComponent(req.url ?? ''), range: req.headers.range, authorization: req.headers.authorization });
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('hub', req);
    const url = new URL(req.url ?? '/', this.endpoint);
    const refuse = (code: number, errorCode?: string): void => {
      res.writeHead(code, { 'content-type': 'application/json', ...(errorCode ? { 'x-error-code': errorCode } : {}) }).end(JSON.stringify({ error: errorCode ?? `HTTP ${code}` }));
    };
    if (this.modes.status) return refuse(this.modes.status.code, this.modes.status.errorCode);
    if (this.modes.requireToken && req.headers.authorization !== `Bearer ${this.modes.requireToken}`) return refuse(401, 'GatedRepo');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/?]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const match = api ?? resolve;
    if (!match || match[1] !== this.repo) return refuse(404, 'RepoNotFound');
    const revision = decodeURIComponent(match[2]!);
    if (revision !== 'main' && revision !== this.sha) return refuse(404, 'RevisionNotFound');
    if (api) {
      const siblings = [...this.files].map(([rfilename, f]) => ({ rfilename, size: f.size, blobId: f.blobId, ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.size } } : {}) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: this.repo, sha: this.sha, siblings }));
      return;
    }
    const name = decodeURIComponent(resolve![3]!);
    const file = this.files.get(name);
    if (!file) return refuse(404, 'EntryNotFound');
    // LFS files live on the storage host; the redirect is signed, so it needs no token.
    if (file.lfs) res.writeHead(302, { location: `${this.storageUrl}/blobs/${file.sha256}?name=${encodeURIComponent(name)}` }).end();
    else this.send(name, file, req, res);
  }

  private onStorage(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('storage', req);
    const name = new URL(req.url ?? '/', this.storageUrl).searchParams.get('name') ?? '';
    const file = this.files.get(name);
    if (!file) return void res.writeHead(404).end();
    this.send(name, file, req, res);
  }

  private send(name: string, file: ServedFile, req: http.IncomingMessage, res: http.ServerResponse): void {
    const count = (this.served.get(name) ?? 0) + 1;
    this.served.set(name, count);
    if (this.modes.unavailableOnce === name && count === 1) return void res.writeHead(503).end('busy');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (range && !this.modes.ignoreRange) {
      start = Number(range[1]);
      if (start >= file.size) return void res.writeHead(416, { 'content-range': `bytes */${file.size}` }).end();
      res.writeHead(206, { 'content-length': file.size - start, 'content-range': `bytes ${start}-${file.size - 1}/${file.size}`, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': file.size, 'accept-ranges': 'bytes' });
    }
    const cutAt = this.modes.cutOnce === name && count === 1 ? Math.floor(file.size / 2) : undefined;
    void this.stream(file, start, cutAt, name === this.modes.corrupt, res);
  }

  private async stream(file: ServedFile, start: number, cutAt: number | undefined, corrupt: boolean, res: http.ServerResponse): Promise<void> {
    const end = cutAt ?? file.size;
    const slow = this.modes.bytesPerSecond && file.lfs ? this.modes.bytesPerSecond : undefined;
    for (const whole of file.read(start, end)) {
      for (let i = 0; i < whole.length; i += slow ? 1024 : whole.length) {
        let chunk = whole.subarray(i, slow ? i + 1024 : whole.length);
        if (corrupt && start === 0 && i === 0) {
          chunk = Buffer.from(chunk);
          chunk[chunk.length >> 1]! ^= 0xff;
        }
        if (res.destroyed) return;
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done).off('close', done);
              resolve();
            };
            res.on('drain', done).on('close', done);
          });
        }
        if (slow) await new Promise((resolve) => setTimeout(resolve, (1000 * chunk.length) / slow));
      }
      corrupt = false;
    }
    // Half way: the connection goes, with the promised length unsent.
    if (cutAt !== undefined) res.socket?.end(); // after what was written has gone out
    else res.end();
  }
}
