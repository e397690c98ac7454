/**
 * The catalogue of published models: what a CPU-only user can run, licences marked, and the
 * weights each is converted to from the storages the converter offers.
 */
import * as assert from 'node:assert';
import { CATALOGUE, convertedBytes, describeEntry, downloadBytes, findEntry, weightsFor } from '../../../src/download/catalogue';
import { isRepoId } from '../../../src/download/hubRoutes';
import { weightsForDevice } from '../../../src/convert/storages';

describe('model catalogue', () => {
  it('lists valid, distinct repository ids, with at least one model for a CPU', () => {
    assert.ok(CATALOGUE.every((e) => isRepoId(e.repo)));
    assert.equal(new Set(CATALOGUE.map((e) => e.repo.toLowerCase())).size, CATALOGUE.length);
    const cpu = CATALOGUE.filter((e) => e.runsOn === 'cpu');
    assert.deepEqual(cpu.map((e) => e.repo), ['fredzzp/open-dcoder-0.5B']);
    assert.equal(cpu[0]!.familyOverride, 'dream', 'its config says qwen2');
    assert.ok(!CATALOGUE.some((e) => /coda/i.test(e.repo)), 'CoDA is another architecture');
  });

  it('marks DiffuCoder research-only and says so in its description', () => {
    const diffucoder = CATALOGUE.filter((e) => e.repo.startsWith('apple/DiffuCoder'));
    assert.equal(diffucoder.length, 3);
    assert.ok(diffucoder.every((e) => e.restriction === 'research-only' && /RESEARCH-ONLY/.test(describeEntry(e))));
    assert.ok(CATALOGUE.filter((e) => !e.repo.startsWith('apple/')).every((e) => e.restriction === undefined));
  });

  it('finds an entry whatever the case, and estimates sizes at 2 bytes a parameter', () => {
    const entry = findEntry('FREDZZP/Open-dCoder-0.5b')!;
    assert.equal(entry.repo, 'fredzzp/open-dcoder-0.5B');
    assert.equal(downloadBytes(entry), 1e9);
    assert.match(describeEntry(entry), /^0\.5 B parameters · ~1\.0 GB download · licence: .* · runs on a CPU/);
    assert.equal(findEntry('someone/else'), undefined);
  });

  it('converts a CPU model to the weights that suit a CPU, and a GPU model to those that suit a GPU', () => {
    const cpu = findEntry('fredzzp/open-dcoder-0.5B');
    const gpu = findEntry('GSAI-ML/LLaDA-8B-Base');
    assert.equal(weightsFor(cpu), weightsForDevice('cpu'));
    assert.equal(weightsFor(gpu), weightsForDevice('gpu'));
    assert.equal(weightsFor(undefined), weightsForDevice('cpu'), 'a repository entered by hand is taken for a CPU model');
    assert.deepEqual([weightsForDevice('cpu'), weightsForDevice('gpu')], ['int8', 'fp16']);
  });

  it('estimates the converted size from the bf16 checkpoint', () => {
    assert.equal(convertedBytes(2e9, 'fp16'), 2e9);
    assert.equal(convertedBytes(2e9, 'fp32'), 4e9);
    // Quantized: smaller than fp16, int4 the smallest; estimates err on the large side (the disk check reads them).
    assert.ok(convertedBytes(2e9, 'int4') < convertedBytes(2e9, 'int8') && convertedBytes(2e9, 'int8') < 2e9);
    assert.ok(convertedBytes(2 * 494e6, 'int8') >= 860e6, 'at least the 0.5 B model\'s measured int8 folder');
    assert.ok(convertedBytes(2e9, 'int8-channel') < convertedBytes(2e9, 'int8'));
    assert.ok(convertedBytes(2 * 494e6, 'int8-channel') >= 737 * 2 ** 20, 'at least the 0.5 B model\'s measured int8-channel folder');
  });
});
