import * as assert from 'assert';
import type { InitializeRequest } from '../../../src/protocol/protocol';
import { EngineClientError } from '../../../src/client/engineClient';
import { ErrorCodes } from '../../../src/protocol/protocol';
import { maxInfillTextChars } from '../../../src/protocol/messageSize';
import { assertWellFormed, infillParams, modelUnderTest, otherModelDir, requireBuildAndModel, startWithModel, type Harness } from './harness';

describe('the inference child with the bundled model: completions', function () {
  let h: Harness;
  let init: InitializeRequest.Result;

  before(async function () {
    requireBuildAndModel();
    h = await startWithModel();
    // initialize is idempotent: ask again to read the facts.
    init = await h.client.initialize({ device: 'cpu', modelDir: otherModelDir });
  });
  after(() => h?.client.stop());

  it('reports the model (the bundled one by default) and the CPU device', () => {
    assert.strictEqual(init.model.path, modelUnderTest);
    if (!otherModelDir) assert.strictEqual(init.model.name, 'dllm-code-tiny');
    assert.strictEqual(init.device.kind, 'cpu');
    assert.ok(init.model.maxCanvasTokens >= 16 && init.model.maxContextTokens > 0);
    assert.ok(init.startupMs > 0);
  });

  it('completes Python, with progress after every pass', async () => {
    const params = infillParams();
    const passes: number[] = [];
    const result = await h.client.infill(params, undefined, (p) => passes.push(p.forwardPasses));
    assertWellFormed(result, params);
    assert.deepStrictEqual(
      passes,
      Array.from({ length: result.stats.forwardPasses }, (_, i) => i + 1),
    );
  });

  it('completes TypeScript', async () => {
    const params = infillParams({
      prefix: 'export function clamp(value: number, min: number, max: number): number {\n  ',
      suffix: '\n}\n',
      language: 'typescript',
    });
    assertWellFormed(await h.client.infill(params), params);
  });

  it('is deterministic at temperature 0', async () => {
    const params = infillParams({ sampler: { kind: 'saber', temperature: 0, seed: 1 } });
    const a = await h.client.infill(params);
    const b = await h.client.infill(params);
    assert.strictEqual(a.text, b.text);
    assert.strictEqual(a.stats.forwardPasses, b.stats.forwardPasses);
  });

  for (const kind of ['saber', 'lowConfidence', 'threshold'] as const) {
    it(`runs the ${kind} sampler within its budget`, async () => {
      const params = infillParams({ sampler: { kind }, stepBudget: 6 });
      assertWellFormed(await h.client.infill(params), params);
    });
  }

  it('handles an empty prefix, an empty suffix, and both', async () => {
    for (const [prefix, suffix] of [
      ['', 'print(x)\n'],
      ['import os\n', ''],
      ['', ''],
    ]) {
      const params = infillParams({ prefix, suffix });
      assertWellFormed(await h.client.infill(params), params);
    }
  });

  it('handles text near the size limit (about ten windows), seeing only the window around the cursor', async () => {
    // Larger text is refused before it is sent (requestSize.test.ts): the client cuts the window.
    const line = 'value = compute(value, 42)  # keep going\n';
    const half = line.repeat(Math.floor((maxInfillTextChars / 2 - 100) / line.length));
    const params = infillParams({ prefix: half + 'def add(a, b):\n    return ', suffix: '\n' + half });
    const result = await h.client.infill(params);
    assertWellFormed(result, params);
    assert.ok(result.stats.promptTokens <= init.model.maxContextTokens, `prompt ${result.stats.promptTokens} tokens`);
  });

  it('refuses CRLF text with a message saying what to convert (requests carry LF only)', async () => {
    const crlf = infillParams({ prefix: 'def add(a, b):\r\n    ', suffix: '\r\n' });
    await assert.rejects(
      h.client.infill(crlf),
      (e: unknown) =>
        e instanceof EngineClientError && e.kind === 'server' && e.code === ErrorCodes.InvalidParams && /params\.prefix has a carriage return.*LF/.test(e.message),
    );
  });

  it('accepts lone surrogates in the document', async () => {
    const params = infillParams({ prefix: 's = "\ud800"\nt = "\udfff' + '"\ndef f():\n    ', suffix: '\n# \ud83d\n' });
    assertWellFormed(await h.client.infill(params), params);
  });

  it('rejects out-of-range parameters with InvalidParams', async () => {
    await assert.rejects(
      h.client.infill(infillParams({ stepBudget: 0 })),
      (e: unknown) => e instanceof EngineClientError && e.kind === 'server' && e.code === ErrorCodes.InvalidParams && /stepBudget/.test(e.message),
    );
  });
});
