import { strict as assert } from 'node:assert';
import { describeModel, formatBytes, RecentModels } from '../../../src/editor/modelChoice';
import { memoryStore } from './memoryStore';

describe('model choice', () => {
  describe('RecentModels', () => {
    it('keeps the newest first, without duplicates, up to its maximum, across instances', async () => {
      const store = memoryStore();
      const recent = new RecentModels(store, 3);
      for (const f of ['/m/a', '/m/b', '/m/c', '/m/b/', '/m/d']) await recent.add(f);
      assert.deepEqual(recent.list(), ['/m/d', '/m/b/', '/m/c']);
      await recent.remove('/m/c');
      assert.deepEqual(new RecentModels(store, 3).list(), ['/m/d', '/m/b/']);
    });

    it('ignores what is not a list of strings in the store', () => {
      const store = memoryStore();
      store.data.set('dllm.recentModels', ['/m/a', 3, null]);
      assert.deepEqual(new RecentModels(store).list(), ['/m/a']);
      store.data.set('dllm.recentModels', 'oops');
      assert.deepEqual(new RecentModels(store).list(), []);
    });
  });

  it('formatBytes reads like a file manager', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(21_650_000), '22 MB');
    assert.equal(formatBytes(3_400_000), '3.4 MB');
    assert.equal(formatBytes(1_900_000_000), '1.9 GB');
  });
});

describe('model choice: describing a model', () => {
  it('names a converted checkpoint\'s family beside its size and contract', () => {
    assert.equal(describeModel({ name: 'dllm-code-tiny', sizeBytes: 21_700_000, contract: 'split' }), 'dllm-code-tiny (22 MB, split contract)');
    assert.equal(describeModel({ name: 'Open-dCoder-0.5B', sizeBytes: 2_000_000_000, contract: 'full', family: 'dream' }), 'Open-dCoder-0.5B (2.0 GB, dream family, full contract)');
    assert.equal(describeModel({ name: 'm', sizeBytes: 2_000_000_000, contract: 'full', family: 'dream', cachedRefreshEvery: 4 }), 'm (2.0 GB, dream family, full contract, cached, refreshed every 4 passes)');
  });
});
