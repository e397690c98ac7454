/**
 * A download's memory stays flat: a 200 MB file (made on the fly by the stand-in Hub, through its
 * storage redirect) is streamed to disk and hashed while this process's RSS grows by a small
 * fraction of it. Prints the figures.
 */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pull } from '../../../src/download/pull';
import { HubServer, generatedFile } from './hubServer';

const SIZE = 200 * 2 ** 20;

describe('download memory', function () {
  this.timeout(120_000);
  let tmp: string;
  let hub: HubServer;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-download-memory-'));
    hub = new HubServer('big-org/big-model');
    hub.files.set('model.safetensors', generatedFile(SIZE));
    const config = Buffer.from('{"architectures":["DreamModel"]}');
    hub.files.set('config.json', { size: config.length, sha256: '', blobId: '', lfs: false, read: (s, e) => [config.subarray(s, e)] });
    await hub.start();
  });
  after(async () => {
    await hub.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('streams a 200 MB file to disk with RSS growth far under its size', async () => {
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = Date.now();
    try {
      const result = await pull({ repo: 'big-org/big-model', endpoint: hub.endpoint, downloadsDir: tmp, timeoutMs: 10_000 });
      assert.equal(fs.statSync(path.join(result.dir, 'model.safetensors')).size, SIZE);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const growth = peak - baseline;
    console.log(`      downloaded, hashed and verified ${SIZE / 2 ** 20} MiB in ${seconds.toFixed(1)} s (${(SIZE / 2 ** 20 / seconds).toFixed(0)} MiB/s); RSS ${(baseline / 2 ** 20).toFixed(0)} MiB → peak ${(peak / 2 ** 20).toFixed(0)} MiB (growth ${(growth / 2 ** 20).toFixed(1)} MiB, server included)`);
    assert.ok(growth < SIZE / 4, `RSS grew by ${growth} bytes`);
  });
});
