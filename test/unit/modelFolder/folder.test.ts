import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { BUNDLED_MODEL, bundledModelDir, findPackageRoot, readManifestJson, resolveModelDir } from '../../../src/modelFolder/folder';

describe('modelFolder/folder', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-folder-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the package root from the bundle and from the sources', () => {
    const root = path.resolve(__dirname, '../../..');
    assert.strictEqual(findPackageRoot(path.join(root, 'dist')), root);
    assert.strictEqual(findPackageRoot(path.join(root, 'src', 'server')), root);
    assert.strictEqual(bundledModelDir(root), path.join(root, 'models', 'dllm-code-tiny'));
    assert.ok(fs.existsSync(path.join(bundledModelDir(root), 'dllm.json')), 'the bundled model is in the repository');
  });

  it('resolves the bundled model folder under a root', () => {
    assert.strictEqual(BUNDLED_MODEL, 'dllm-code-tiny');
    assert.strictEqual(bundledModelDir('/ext'), path.join('/ext', 'models', 'dllm-code-tiny'));
  });

  it('uses the bundled model when no folder is named', () => {
    assert.strictEqual(resolveModelDir(undefined, '/b'), '/b');
    assert.strictEqual(resolveModelDir('  ', '/b'), '/b');
    assert.strictEqual(resolveModelDir('/m/x', '/b'), path.resolve('/m/x'));
  });

  it('names the problem with a folder, as a refusal of the folder', () => {
    const problem = (folder: string): string | undefined => {
      try {
        readManifestJson(folder);
        return undefined;
      } catch (error) {
        assert.ok(error instanceof ModelLoadError);
        assert.strictEqual(error.path, path.resolve(folder));
        return error.reason;
      }
    };
    assert.strictEqual(problem(path.join(dir, 'nope')), 'the folder does not exist');
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.strictEqual(problem(path.join(dir, 'file')), 'it is not a folder');
    assert.strictEqual(problem(dir), 'it has no dllm.json manifest');
    fs.writeFileSync(path.join(dir, 'dllm.json'), '{"name": ');
    assert.equal(problem(dir), 'dllm.json is not valid JSON (it ends too early)');
    // The manifest may be a link to any file: none of its text reaches the message.
    fs.writeFileSync(path.join(dir, 'dllm.json'), 'root:x:0:0:root:/root:/bin/bash\n');
    assert.equal(problem(dir), 'dllm.json is not valid JSON (at position 0)');
    fs.writeFileSync(path.join(dir, 'dllm.json'), '{"name": "ok"}');
    assert.strictEqual(problem(dir), undefined);
    assert.deepStrictEqual(readManifestJson(dir), { name: 'ok' });
  });
});
