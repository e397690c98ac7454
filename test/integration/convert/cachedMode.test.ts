/**
 * The cached mode through the real child process (dist/complete.js): tiny converted checkpoints of
 * both families give, with `--refresh-every 1` and `4`, the first pass the exact mode gives
 * (`--dump-logits`, within 1e-4: a first pass is always a refresh), and refreshed every pass the
 * same completion as the exact mode after every pass (temperature 0).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertCheckpoint } from '../../../src/convert/convert';
import type { FirstPassDump } from '../../../src/protocol/firstPass';
import { DREAM_SPEC, LLADA_SPEC, memoryCheckpoint } from '../../unit/convert/tinyCheckpoint';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(repoRoot, 'dist', 'complete.js');

describe('cached mode of a converted model, through npm run complete', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    if (!fs.existsSync(cli)) throw new Error(`${cli} missing: run npm run build`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-cached-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const spec of [DREAM_SPEC, LLADA_SPEC]) {
    it(`${spec.family}: the first pass equals the exact mode's, and refreshed every pass so does the completion`, async () => {
      const model = path.join(dir, spec.family);
      await convertCheckpoint(memoryCheckpoint(path.join(dir, `hf-${spec.family}`), spec), { to: model, weights: 'fp32', canvas: 16 });
      const file = path.join(dir, `${spec.family}.txt`);
      fs.writeFileSync(file, 'abcdefghijklmnop');
      type Completion = { text: string; stats: { forwardPasses: number } }; // the parts of the CLI's --json answer compared here
      const complete = (refreshEvery: number): { dump: FirstPassDump; result: Completion } => {
        const out = path.join(dir, `${spec.family}-${refreshEvery}.json`);
        const args = [cli, `${file}:1:9`, '--model', model, '--threads', '1', '--max-tokens', '12', '--steps', '12', '--sampler', 'lowConfidence', '--json', '--refresh-every', String(refreshEvery), '--dump-logits', out];
        const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
        assert.equal(run.status, 0, run.stderr);
        return { dump: JSON.parse(fs.readFileSync(out, 'utf8')) as FirstPassDump, result: JSON.parse(run.stdout) as Completion };
      };
      const exact = complete(0);
      for (const k of [1, 4]) {
        const cached = complete(k);
        assert.deepEqual(cached.dump.tokens, exact.dump.tokens);
        cached.dump.topk.forEach((row, j) => {
          row.forEach(([id, logit], r) => {
            const [wantId, wantLogit] = exact.dump.topk[j]![r]!;
            assert.equal(id, wantId, `k=${k}, canvas ${j}, rank ${r}`);
            assert.ok(Math.abs(logit - wantLogit) <= 1e-4, `k=${k}, canvas ${j}, rank ${r}: ${logit} vs ${wantLogit}`);
          });
        });
        if (k === 1) {
          assert.equal(cached.result.text, exact.result.text);
          assert.equal(cached.result.stats.forwardPasses, exact.result.stats.forwardPasses);
        }
      }
    });
  }
});
