import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { folderName, freeFolder } from '../../../src/download/places';

describe('download/places: where a converted model goes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-places-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names a converted model after its checkpoint, or its Hugging Face cache repository, in a free folder', () => {
    assert.equal(folderName('/data/Dream-Coder-v0-Instruct-7B'), 'Dream-Coder-v0-Instruct-7B');
    assert.equal(folderName('/h/.cache/huggingface/hub/models--GSAI-ML--LLaDA-8B-Base/snapshots/0123abc'), 'LLaDA-8B-Base');
    assert.equal(folderName('/data/my model!'), 'my-model-');
    fs.mkdirSync(path.join(dir, 'm'));
    assert.equal(freeFolder(path.join(dir, 'm')), path.join(dir, 'm'), 'an empty folder is free');
    fs.writeFileSync(path.join(dir, 'm', 'x'), '');
    fs.writeFileSync(path.join(dir, 'm-2'), '');
    assert.equal(freeFolder(path.join(dir, 'm')), path.join(dir, 'm-3'));
  });
});
