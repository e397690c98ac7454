import * as assert from 'assert';
import { InvalidParamsError, validateDocumentClosedParams, validateInfillParams, validateInitializeParams } from '../../../src/protocol/validate';

const good = { prefix: 'a', suffix: 'b', maxTokens: 32, stepBudget: 8, sampler: { kind: 'saber' }, mode: 'inline' };

describe('parameter validation', () => {
  it('passes good infill parameters through, keeping only known sampler keys that are set', () => {
    const params = validateInfillParams({ ...good, sampler: { kind: 'saber', minPerStep: 2, remask: 'onDrop', seed: 7, extra: 1 }, language: 'python', progressToken: 't', document: 'file:///a.py', dumpFirstPass: true });
    assert.deepStrictEqual(params, {
      ...good,
      sampler: { kind: 'saber', minPerStep: 2, remask: 'onDrop', seed: 7 },
      language: 'python',
      progressToken: 't',
      document: 'file:///a.py',
      dumpFirstPass: true,
    });
    assert.equal(validateInfillParams({ ...good, dumpFirstPass: false }).dumpFirstPass, undefined);
  });

  it('names the bad field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /expects an object/],
      [{ ...good, suffix: undefined }, /params\.suffix must be a string, got nothing/],
      [{ ...good, maxTokens: 2.5 }, /params\.maxTokens must be an integer/],
      [{ ...good, stepBudget: 0 }, /params\.stepBudget/],
      [{ ...good, sampler: 'saber' }, /params\.sampler must be an object/],
      [{ ...good, sampler: { kind: 'saber', remask: 'sometimes' } }, /params\.sampler\.remask must be one of/],
      [{ ...good, sampler: { kind: 'saber', temperature: -1 } }, /temperature must be a number from 0/],
      [{ ...good, sampler: { kind: 'saber', seed: 1.5 } }, /seed must be an integer/],
      [{ ...good, language: 3 }, /params\.language must be a string/],
      [{ ...good, document: {} }, /params\.document must be a string/],
      [{ ...good, dumpFirstPass: 'yes' }, /params\.dumpFirstPass must be true or false/],
      [{ ...good, prefix: 'a\r\nb' }, /params\.prefix has a carriage return at offset 1/],
      [{ ...good, suffix: 'x\ry' }, /params\.suffix has a carriage return at offset 1/],
      [{ ...good, sampler: { kind: 'saber', minPerStep: 0 } }, /params\.sampler\.minPerStep must be an integer from 1/],
      [{ ...good, sampler: { kind: 'threshold', threshold: 1.5 } }, /params\.sampler\.threshold must be a number from 0 to 1/],
      [{ ...good, prefix: 'x'.repeat(524_288) }, /^dllm\/infill refused: its text is 524289 characters, above the limit of 524288/],
      [{ ...good, suffix: '', document: 'd'.repeat(524_288), language: 'python' }, /its text is 524295 characters/],
    ];
    for (const [params, pattern] of bad) {
      assert.throws(() => validateInfillParams(params), (e: unknown) => e instanceof InvalidParamsError && pattern.test(e.message), String(pattern));
    }
  });

  it('checks initialize parameters', () => {
    assert.deepStrictEqual(validateInitializeParams({ device: 'gpu', modelDir: '/m', threads: 2 }), { device: 'gpu', modelDir: '/m', threads: 2 });
    assert.throws(() => validateInitializeParams({ device: 'gpu', threads: -1 }), /threads must be an integer from 0/);
    assert.throws(() => validateInitializeParams({}), /params\.device must be one of/);
    assert.deepStrictEqual(validateInitializeParams({ device: 'cpu', contextCacheMiB: 0 }), { device: 'cpu', contextCacheMiB: 0 });
    assert.throws(() => validateInitializeParams({ device: 'cpu', contextCacheMiB: 1.5 }), /params\.contextCacheMiB must be an integer from 0/);
    assert.deepStrictEqual(validateInitializeParams({ device: 'cpu', cachedRefreshEvery: 0 }), { device: 'cpu', cachedRefreshEvery: 0 });
    assert.deepStrictEqual(validateInitializeParams({ device: 'cpu', cachedRefreshEvery: 4 }), { device: 'cpu', cachedRefreshEvery: 4 });
    assert.throws(() => validateInitializeParams({ device: 'cpu', cachedRefreshEvery: 65 }), /params\.cachedRefreshEvery must be an integer from 0/);
  });

  it('checks dllm/documentClosed parameters', () => {
    assert.deepStrictEqual(validateDocumentClosedParams({ document: 'file:///a.py', extra: 1 }), { document: 'file:///a.py' });
    assert.throws(() => validateDocumentClosedParams({}), /params\.document must be a string/);
    assert.throws(() => validateDocumentClosedParams('x'), /expects an object/);
  });
});
