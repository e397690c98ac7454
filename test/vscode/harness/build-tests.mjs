// Bundles the extension-host test suite (test/vscode/suite) into out/test/vscode/suite, one file
// per entry: index.js (the runner VS Code loads as extensionTestsPath) and every *.test.js it
// hands to mocha. `vscode` is provided by the extension host; mocha is loaded from node_modules.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const suiteDir = path.join(root, 'test', 'vscode', 'suite');
const outdir = path.join(root, 'out', 'test', 'vscode', 'suite');

const entryPoints = fs
  .readdirSync(suiteDir)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => path.join(suiteDir, f));

fs.rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`[build-tests] ${entryPoints.length} files -> ${path.relative(root, outdir)}`);
