/**
 * The client's character cut never removes text the model would read: on every task of the
 * real-code benchmark, the bundled tokenizer fits the same tokens into the bundled model's context
 * from the cut window (src/completion/contextWindow.ts) as from the whole text.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { cutWindow, windowChars } from '../../../src/completion/contextWindow';
import { readManifest } from '../../../src/modelFolder/manifest';
import { loadTokenizer } from '../../../src/engine/tokenizer';
import { windowTokens } from '../../../src/engine/window';
import { loadTasks, realCodeDataFile } from '../../../bench/lib/tasks';

const modelDir = path.resolve(__dirname, '..', '..', '..', 'models', 'dllm-code-tiny');

describe('the client window and the model context', function () {
  this.timeout(120_000);

  it('cut window and whole text give the model the same tokens on 1000 real-code tasks', () => {
    const manifest = readManifest(modelDir);
    const tokenizer = loadTokenizer(manifest.files.tokenizer);
    const encode = (text: string) => tokenizer.encode(text);
    // bos, language and eos take three places of the context.
    const budget = manifest.maxContextTokens - 3;
    const chars = windowChars(manifest.maxContextTokens);
    let cut = 0;
    for (const task of loadTasks(realCodeDataFile)) {
      const window = cutWindow(task.prompt, task.suffix, chars);
      if (window.prefixCut || window.suffixCut) cut++;
      const whole = windowTokens(task.prompt, task.suffix, budget, encode);
      const sent = windowTokens(window.prefix, window.suffix, budget, encode);
      assert.deepEqual([sent.prefixIds, sent.suffixIds], [whole.prefixIds, whole.suffixIds], task.task_id);
    }
    // The check means something only if the cut was active on most tasks.
    assert.ok(cut > 500, `only ${cut} tasks were cut`);
  });
});
