/**
 * The download client against a local stand-in for the Hub (hubServer.ts) serving a tiny random
 * checkpoint: a pull fetches and verifies every file a conversion needs, resumes a cut connection,
 * and ends each failure (refusals, corruption, no network, a full disk, a cancel) with its one message.
 */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { DownloadError } from '../../../src/download/errors';
import { INCOMPLETE } from '../../../src/download/fileDownload';
import { pull, snapshotDir, type PullOptions } from '../../../src/download/pull';
import { DREAM_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';
import { HubServer } from './hubServer';

const REPO = 'tiny-org/dream-tiny';

describe('download from the Hub (a local stand-in)', function () {
  this.timeout(60_000);
  let tmp: string;
  let hub: HubServer;
  let checkpoint: string;
  const options = (extra: Partial<PullOptions> = {}): PullOptions => ({
    repo: REPO,
    endpoint: extra.endpoint ?? hub.endpoint,
    downloadsDir: path.join(tmp, 'downloads'),
    retry: { retries: 3, baseMs: 10, maxMs: 50 },
    timeoutMs: 5000,
    ...extra,
  });
  const rejection = async (promise: Promise<unknown>): Promise<DownloadError> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof DownloadError, `not a DownloadError: ${String(error)}`);
      return error;
    }
    assert.fail('the pull succeeded');
  };
  const blobRequests = (file: string) => hub.seen.filter((r) => r.server === 'storage' && r.path.includes(`name=${file}`));

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-download-'));
    checkpoint = path.join(tmp, 'checkpoint');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC, { 'README.md': '---\nlicense: apache-2.0\n---\n# tiny\n', 'pytorch_model.bin': 'not wanted' });
    hub = await new HubServer(REPO).addFolder(checkpoint).start();
  });
  afterEach(async () => {
    await hub.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fetches exactly the files a conversion reads, at the commit, each identical to the original', async () => {
    const progress: number[] = [];
    const result = await pull(options({ onProgress: (p) => progress.push(p.bytesDone) }));
    assert.equal(result.dir, snapshotDir(path.join(tmp, 'downloads'), REPO, hub.sha));
    const expected = fs.readdirSync(checkpoint).filter((f) => f !== 'pytorch_model.bin').sort();
    assert.deepEqual(fs.readdirSync(result.dir).sort(), expected);
    for (const f of expected) assert.ok(fs.readFileSync(path.join(result.dir, f)).equals(fs.readFileSync(path.join(checkpoint, f))), f);
    assert.equal(progress[progress.length - 1], result.bytes);
    // Files are fetched at the commit the branch named; the large ones through the storage redirect.
    assert.ok(hub.seen.filter((r) => r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${hub.sha}/`)));
    assert.equal(blobRequests('model-00001-of-00002.safetensors').length, 1);
  });

  it('sends HF_TOKEN to the Hub only, never to the storage host a redirect leads to', async () => {
    hub.modes.requireToken = 'hf_secret';
    await pull(options({ token: 'hf_secret' }));
    assert.ok(hub.seen.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret'));
    const storage = hub.seen.filter((r) => r.server === 'storage');
    assert.ok(storage.length > 0 && storage.every((r) => r.authorization === undefined));
  });

  it('does not fetch again what a previous pull verified', async () => {
    await pull(options());
    const before = hub.seen.length;
    await pull(options());
    assert.equal(hub.seen.length, before + 1, 'only the revision listing');
  });

  it('resumes a connection cut half way with a Range request, and verifies the whole file', async () => {
    hub.modes.cutOnce = 'model-00001-of-00002.safetensors';
    const result = await pull(options());
    const requests = blobRequests('model-00001-of-00002.safetensors');
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.range, undefined);
    const size = fs.statSync(path.join(checkpoint, 'model-00001-of-00002.safetensors')).size;
    assert.equal(requests[1]!.range, `bytes=${Math.floor(size / 2)}-`);
    assert.ok(fs.readFileSync(path.join(result.dir, 'model-00001-of-00002.safetensors')).equals(fs.readFileSync(path.join(checkpoint, 'model-00001-of-00002.safetensors'))));
  });

  it('starts a file over when the server ignores the Range, and retries a 503', async () => {
    hub.modes.cutOnce = 'model-00002-of-00002.safetensors';
    hub.modes.ignoreRange = true;
    hub.modes.unavailableOnce = 'model-00001-of-00002.safetensors';
    const result = await pull(options());
    assert.ok(fs.readFileSync(path.join(result.dir, 'model-00002-of-00002.safetensors')).equals(fs.readFileSync(path.join(checkpoint, 'model-00002-of-00002.safetensors'))));
    assert.equal(blobRequests('model-00001-of-00002.safetensors').length, 2);
  });

  it('refuses corrupted bytes and deletes them', async () => {
    hub.modes.corrupt = 'model-00002-of-00002.safetensors';
    const error = await rejection(pull(options()));
    assert.equal(error.kind, 'checksum');
    assert.match(error.message, /model-00002-of-00002\.safetensors failed its check \(sha256 [0-9a-f]{64} instead of [0-9a-f]{64}\), so it was deleted/);
    const dir = snapshotDir(path.join(tmp, 'downloads'), REPO, hub.sha);
    assert.ok(!fs.existsSync(path.join(dir, 'model-00002-of-00002.safetensors')));
    assert.ok(!fs.existsSync(path.join(dir, 'model-00002-of-00002.safetensors' + INCOMPLETE)));
  });

  it('says what a 401, a 403 and a 404 mean', async () => {
    hub.modes.status = { code: 401 };
    const unauthorized = await rejection(pull(options()));
    assert.equal(unauthorized.kind, 'unauthorized');
    assert.match(unauthorized.message, /HTTP 401.*Accept its licence on http:\/\/127\.0\.0\.1:\d+\/tiny-org\/dream-tiny and set HF_TOKEN/);
    hub.modes.status = { code: 403, errorCode: 'GatedRepo' };
    assert.match((await rejection(pull(options()))).message, /HTTP 403, GatedRepo.*gated/);
    hub.modes.status = undefined;
    const missing = await rejection(pull(options({ repo: 'tiny-org/no-such-model' })));
    assert.equal(missing.kind, 'notFound');
    assert.match(missing.message, /^tiny-org\/no-such-model not found on http:\/\/127\.0\.0\.1:\d+: check the repository id$/);
    assert.match((await rejection(pull(options({ revision: 'v9' })))).message, /^revision "v9" of tiny-org\/dream-tiny not found/);
    assert.match((await rejection(pull(options({ repo: 'not a repo' })))).message, /is not a Hugging Face repository id/);
  });

  it('says so at once when there is no network', async () => {
    const port = Number(new URL(hub.endpoint).port);
    await hub.close();
    const started = Date.now();
    const error = await rejection(pull(options({ endpoint: `http://127.0.0.1:${port}` })));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /^cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the network connection/);
    assert.ok(Date.now() - started < 2000, 'not retried');
    hub = await new HubServer(REPO).start(); // for afterEach
  });

  it('refuses to start without room for the download and the converted model', async () => {
    const nodeFs = createRequire(__filename)('node:fs') as { statfsSync: typeof fs.statfsSync };
    const statfs = nodeFs.statfsSync;
    nodeFs.statfsSync = ((p: fs.PathLike) => ({ ...statfs(p), bavail: 1000, bsize: 4096 })) as typeof fs.statfsSync;
    try {
      const error = await rejection(pull(options({ output: { dir: path.join(tmp, 'models', 'x'), bytes: (b) => b * 2 } })));
      assert.equal(error.kind, 'diskFull');
      assert.match(error.message, /^not enough free disk space in .*: the download and the converted model need about .* GiB, 0\.00 GiB is free/);
    } finally {
      nodeFs.statfsSync = statfs;
    }
    assert.equal(hub.seen.filter((r) => r.path.includes('/resolve/')).length, 0, 'nothing was fetched');
  });

  it('cancels, keeping the partial file, and a new pull resumes it', async () => {
    hub.modes.bytesPerSecond = 20_000;
    const abort = new AbortController();
    const error = await rejection(pull(options({ signal: abort.signal, onProgress: (p) => p.file.endsWith('.safetensors') && p.bytesDone > 0 && abort.abort() })));
    assert.equal(error.kind, 'cancelled');
    const dir = snapshotDir(path.join(tmp, 'downloads'), REPO, hub.sha);
    const partial = fs.readdirSync(dir).filter((f) => f.endsWith(INCOMPLETE));
    assert.equal(partial.length, 1, fs.readdirSync(dir).join(', '));
    const kept = fs.statSync(path.join(dir, partial[0]!)).size;
    assert.ok(kept > 0);
    hub.modes.bytesPerSecond = undefined;
    const result = await pull(options());
    const file = partial[0]!.slice(0, -INCOMPLETE.length);
    assert.equal(blobRequests(file).pop()!.range, `bytes=${kept}-`);
    assert.ok(fs.readFileSync(path.join(result.dir, file)).equals(fs.readFileSync(path.join(checkpoint, file))));
  });
});
