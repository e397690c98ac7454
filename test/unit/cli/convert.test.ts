/**
 * `npm run convert`'s command line (src/cli/convert.ts, run through tsx): a checkpoint folder on
 * disk (bf16 safetensors in shards) becomes a model folder with the reference logits; refusals are
 * one line and a non-zero exit code, and leave nothing at the destination.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { FAMILY_IDS } from '../../../src/convert/families';
import { referenceLogits } from '../convert/referenceForward';
import { DREAM_SPEC, LLADA_SPEC, writeTinyCheckpointFolder } from '../convert/tinyCheckpoint';

const script = path.resolve(__dirname, '../../../src/cli/convert.ts');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), script, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, INIT_CWD: tmp } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-convert-cli-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cli/convert: npm run convert', function () {
  this.timeout(60000);

  it('converts a sharded bf16 checkpoint folder, relative paths taken from the caller', async () => {
    const weights = writeTinyCheckpointFolder(path.join(tmp, 'LLaDA-tiny'), LLADA_SPEC, { 'README.md': '---\nlicense: mit\n---\n' });
    const run = cli('--from', 'LLaDA-tiny', '--to', 'out', '--weights', 'fp32');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^converted .*LLaDA-tiny → .*out \(llada family, fp32 weights/);
    assert.match(run.stderr, /convert: \d+\/\d+ tensors, .* \(100%\)/);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'dllm.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.license, 'mit');
    assert.equal(manifest.provenance, 'converted from the Hugging Face checkpoint LLaDA-tiny (llada family) by npm run convert');

    const ids = [1, 2, 3, 60, 4];
    const session = await ort.InferenceSession.create(path.join(tmp, 'out', 'model.onnx'));
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
    await session.release();
    const actual = (out.logits as ort.Tensor).data as Float32Array;
    const expected = referenceLogits(LLADA_SPEC, weights, ids);
    expected.forEach((row, i) => row.forEach((e, j) => assert.ok(Math.abs(actual[i * LLADA_SPEC.vocab + j]! - e) < 1e-4)));
  });

  it('refuses in one line with exit code 1, leaving nothing behind', () => {
    writeTinyCheckpointFolder(path.join(tmp, 'hf'), DREAM_SPEC);
    const run = cli('--from', 'hf', '--to', 'out', '--family', 'gpt2');
    assert.equal(run.status, 1);
    // The supported families as the registry lists them (src/convert/families/index.ts).
    assert.equal(run.stderr, `convert: unknown family "gpt2"; supported: ${FAMILY_IDS.join(', ')}\n`);
    assert.ok(FAMILY_IDS.includes('dream') && FAMILY_IDS.includes('llada'));
    assert.deepEqual(fs.readdirSync(tmp), ['hf']);
    const int2 = cli('--from', 'hf', '--to', 'out', '--weights', 'int2');
    assert.equal(int2.status, 1);
    assert.equal(int2.stderr, 'convert: unknown --weights "int2" (expected fp32 or fp16 or int8 or int4 or int8-channel)\n');
    assert.deepEqual(fs.readdirSync(tmp), ['hf']);
  });

  it('says how to use it when the options are wrong (exit code 2)', () => {
    const missing = cli('--from', 'hf');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^convert: --from and --to are required\nTry: npm run convert -- --help/);
    assert.equal(cli('--from', 'a', '--to', 'b', '--canvas', '0').status, 2);
    assert.equal(cli('--bogus').status, 2);
    const help = cli('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--weights W/);
  });
});
