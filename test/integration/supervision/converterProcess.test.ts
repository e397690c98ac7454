/**
 * The converter as the extension runs it: dist/convert.js in a child process, with progress and
 * cancellation over its IPC channel (src/supervision/converterProcess.ts).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runConverter } from '../../../src/supervision/converterProcess';
import type { WriteProgress } from '../../../src/convert/weightsFile';
import { DREAM_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';

const converter = path.resolve(__dirname, '..', '..', '..', 'dist', 'convert.js');

describe('converter child process (as the extension runs it)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    if (!fs.existsSync(converter)) throw new Error(`${converter} missing: run npm run build`);
  });
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-convert-child-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('converts a checkpoint, reporting progress up to every byte, and says where the model went', async () => {
    const from = path.join(dir, 'Dream-tiny');
    writeTinyCheckpointFolder(from, DREAM_SPEC);
    const progress: WriteProgress[] = [];
    const outcome = await runConverter(converter, { from, to: path.join(dir, 'out'), weights: 'fp32' }, (p) => progress.push(p));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.dir, path.join(dir, 'out'));
    assert.equal(outcome.family, 'dream');
    assert.ok(fs.existsSync(path.join(dir, 'out', 'dllm.json')));
    const last = progress[progress.length - 1]!;
    assert.equal(last.bytesDone, last.bytesTotal);
  });

  it('gives the converter\'s own one-line refusal', async () => {
    const from = path.join(dir, 'no-tokenizer');
    writeTinyCheckpointFolder(from, DREAM_SPEC);
    fs.rmSync(path.join(from, 'tokenizer.json'));
    const outcome = await runConverter(converter, { from, to: path.join(dir, 'out') }, () => undefined);
    assert.ok(!outcome.ok && !outcome.cancelled);
    assert.match(outcome.message, /tokenizer\.json/);
    assert.ok(!fs.existsSync(path.join(dir, 'out')));
  });

  it('cancels when asked, leaving no model folder and no partial one', async () => {
    const from = path.join(dir, 'Dream-larger');
    // Large enough (about 30 MB of fp32 weights) that the cancel arrives while tensors are still being written.
    writeTinyCheckpointFolder(from, { ...DREAM_SPEC, hidden: 256, layers: 8, ffn: 512, vocab: 4000 });
    const abort = new AbortController();
    const outcome = await runConverter(converter, { from, to: path.join(dir, 'out'), weights: 'fp32' }, () => abort.abort(), abort.signal);
    assert.ok(!outcome.ok && outcome.cancelled, JSON.stringify(outcome));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('out')), []);
  });
});
