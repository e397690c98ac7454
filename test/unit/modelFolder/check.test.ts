import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkModelFolder } from '../../../src/modelFolder/check';

const bundled = path.join(__dirname, '../../../models/dllm-code-tiny');

describe('modelFolder/check: checkModelFolder', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-model-check-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A copy of the bundled model's folder in `dir`, with `change` applied. */
  function copyOfBundled(change: (folder: string) => void = () => {}): string {
    const folder = path.join(dir, 'model');
    fs.cpSync(bundled, folder, { recursive: true });
    change(folder);
    return folder;
  }

  it('accepts the bundled model and a copy of it, with its name, contract and size', () => {
    const check = checkModelFolder(copyOfBundled());
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.name, 'dllm-code-tiny');
    assert.equal(check.contract, 'split');
    const manifest = JSON.parse(fs.readFileSync(path.join(bundled, 'dllm.json'), 'utf8')) as { files: Record<string, string> };
    const files = Object.values(manifest.files).map((f) => fs.statSync(path.join(bundled, f)).size);
    assert.equal(check.sizeBytes, files.reduce((a, b) => a + b));
  });

  it('refuses a missing folder, a file, and a folder without a manifest, saying which', () => {
    assert.deepEqual(checkModelFolder(path.join(dir, 'nope')), { ok: false, problem: 'the folder does not exist' });
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    assert.deepEqual(checkModelFolder(path.join(dir, 'file')), { ok: false, problem: 'it is not a folder' });
    const check = checkModelFolder(dir);
    assert.ok(!check.ok);
    assert.equal(check.problem, 'it has no dllm.json manifest');
  });

  it('refuses a manifest that is not JSON or misses a field, and a missing graph', () => {
    let check = checkModelFolder(copyOfBundled((f) => fs.writeFileSync(path.join(f, 'dllm.json'), '{ "format": 1,')));
    assert.ok(!check.ok);
    assert.equal(check.problem, 'dllm.json is not valid JSON (at position 14)');
    fs.rmSync(path.join(dir, 'model'), { recursive: true });
    check = checkModelFolder(copyOfBundled((f) => fs.rmSync(path.join(f, 'denoise.onnx'))));
    assert.deepEqual(check, { ok: false, problem: 'denoise.onnx: missing file named in dllm.json' });
  });

  it('refuses a tokenizer that is not one and a graph that is not ONNX', () => {
    let check = checkModelFolder(copyOfBundled((f) => fs.writeFileSync(path.join(f, 'tokenizer.json'), '{"version": "1.0"}')));
    assert.deepEqual(check, { ok: false, problem: 'tokenizer.json is not a tokenizer (it has no "model")' });
    fs.rmSync(path.join(dir, 'model'), { recursive: true });
    check = checkModelFolder(copyOfBundled((f) => fs.writeFileSync(path.join(f, 'context.onnx'), '<html>not found</html>')));
    assert.deepEqual(check, { ok: false, problem: 'context.onnx is not an ONNX graph' });
    fs.rmSync(path.join(dir, 'model'), { recursive: true });
    check = checkModelFolder(copyOfBundled((f) => fs.writeFileSync(path.join(f, 'denoise.onnx'), '')));
    assert.deepEqual(check, { ok: false, problem: 'denoise.onnx is empty' });
  });
});

describe('modelFolder/check: sizes the engine could not allocate', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-model-check-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder whose manifest states an absurd vocabulary, naming the field, its value and the limit', () => {
    const folder = path.join(dir, 'model');
    fs.cpSync(bundled, folder, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'dllm.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(folder, 'dllm.json'), JSON.stringify({ ...manifest, vocabSize: 2e9 }));
    assert.deepEqual(checkModelFolder(folder), { ok: false, problem: 'dllm.json: "vocabSize" is 2000000000, above the limit of 1048576: lower it in dllm.json' });
  });
});
