/**
 * What the .vsix installs (DLLM_E2E_VSIX): the bundles, the bundled model and onnxruntime-node
 * for this platform only, and nothing of the source tree. Installed with the VS Code server's
 * own CLI, as `code --install-extension` does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installVsix } from '../harness/harness';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('installed .vsix (e2e)', function () {
  const vsix = process.env.DLLM_E2E_VSIX;
  let extensionsDir: string | undefined;
  let files: string[] = [];

  before(function () {
    if (!vsix) this.skip(); // only when a package was built: npm run test:vscode-server
    extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-installed-'));
    installVsix(vsix, extensionsDir);
    const [folder] = fs.readdirSync(extensionsDir).filter((f) => f.startsWith('dllm-complete.dllm-complete-'));
    assert.ok(folder, 'the extension folder is missing after install');
    files = filesUnder(path.join(extensionsDir, folder));
  });
  after(function () {
    if (extensionsDir) fs.rmSync(extensionsDir, { recursive: true, force: true });
  });

  it('holds the bundles, the manifest, the readme and the bundled model', function () {
    for (const f of ['package.json', 'dist/extension.js', 'dist/server.js', 'models/dllm-code-tiny/dllm.json']) {
      assert.ok(files.includes(f), `${f} missing`);
    }
    assert.ok(files.some((f) => /^readme\.md$/i.test(f)), 'README missing');
    assert.ok(files.some((f) => f.startsWith('models/dllm-code-tiny/') && f.endsWith('.onnx')), 'no ONNX graph');
  });

  it('ships onnxruntime-node for this platform only', function () {
    const ortBinaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
    const platformDirs = new Set(ortBinaries.map((f) => f.split('/').slice(4, 6).join('/')));
    assert.deepEqual([...platformDirs], [`${process.platform}/${process.arch}`]);
    assert.ok(ortBinaries.some((f) => f.endsWith('onnxruntime_binding.node')), 'binding missing');
    assert.ok(files.includes('node_modules/onnxruntime-common/package.json'), 'onnxruntime-common missing');
  });

  it('leaves out sources, tests, source maps and dev tooling', function () {
    const unwanted = files.filter((f) => /^(src|test|scripts|out|\.cache|models\/train)\/|\.map$|\.ts$|^node_modules\/(?!onnxruntime-)/.test(f));
    assert.deepEqual(unwanted, []);
  });
});
