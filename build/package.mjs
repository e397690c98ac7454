// `npm run package`: a platform-specific .vsix, dllm-complete-<target>-<version>.vsix.
//
// Everything happens in a staging folder (.cache/package/<target>/), never in the working tree:
//  1. production bundles (build/esbuild.mjs --production) built into the stage's dist/;
//  2. package.json (scripts and devDependencies dropped; dependencies reduced to the modules the
//     bundles leave external, i.e. onnxruntime-node), README, LICENSE, CHANGELOG, media, the
//     bundled model folder(s) and .vscodeignore copied in;
//  3. the external modules and their production dependencies copied into the stage's
//     node_modules, then onnxruntime-node's binaries for other platforms pruned
//     (bin/napi-v*/<os>/<arch>): the real node_modules is never touched;
//  4. @vscode/vsce packages the stage for the target; .vscodeignore (an allowlist) decides what
//     ships, and every file of a bundled model folder must be on its list.
//
// Usage: node build/package.mjs [--target <vsce target>] [--out <dir>]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

/** Modules the esbuild bundles leave external and the extension therefore has to ship. */
const externalModules = ['onnxruntime-node'];

const target = option('--target') ?? hostTarget();
const outDir = path.resolve(option('--out') ?? root);
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsixName = `${manifest.name}-${target}-${manifest.version}.vsix`;
const stage = path.join(root, '.cache', 'package', target);

function hostTarget() {
  const os = process.platform === 'linux' && isMusl() ? 'alpine' : process.platform;
  return `${os}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
}

function isMusl() {
  const report = process.report?.getReport();
  return report ? !report.header.glibcVersionRuntime : false;
}

/** onnxruntime-node's folder names for a vsce target: bin/napi-v<n>/<os>/<arch>. */
function ortPlatform(vsceTarget) {
  const [os, arch] = vsceTarget.split('-');
  return { os: os === 'alpine' ? 'linux' : os, arch };
}

function log(msg) {
  console.log(`[package] ${msg}`);
}

function copy(from, to) {
  fs.cpSync(from, to, { recursive: true, dereference: true });
}

/** The folder a package resolves to from `fromDir`, Node's way (walking up node_modules). */
function resolvePackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) throw new Error(`cannot resolve ${name} from ${fromDir}`);
  }
}

/** `names` and their production dependencies, as folders under the repository. */
function productionClosure(names) {
  const seen = new Set();
  const visit = (name, fromDir) => {
    const dir = resolvePackageDir(name, fromDir);
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      try {
        visit(dep, dir);
      } catch {
        // an optional dependency that is not installed here is not needed here
      }
    }
  };
  for (const name of names) visit(name, root);
  return [...seen];
}

/** Removes onnxruntime-node binaries for every platform but the target's. */
function pruneOrtBinaries(ortDir, vsceTarget) {
  const { os, arch } = ortPlatform(vsceTarget);
  const binDir = path.join(ortDir, 'bin');
  let kept = 0;
  for (const napi of fs.readdirSync(binDir)) {
    for (const osDir of fs.readdirSync(path.join(binDir, napi))) {
      for (const archDir of fs.readdirSync(path.join(binDir, napi, osDir))) {
        const dir = path.join(binDir, napi, osDir, archDir);
        if (osDir === os && archDir === arch) kept++;
        else fs.rmSync(dir, { recursive: true, force: true });
      }
      if (fs.readdirSync(path.join(binDir, napi, osDir)).length === 0) fs.rmSync(path.join(binDir, napi, osDir), { recursive: true });
    }
  }
  if (kept === 0) throw new Error(`onnxruntime-node has no binaries for ${os}/${arch}`);
}

function bundledModelFolders() {
  const modelsDir = path.join(root, 'models');
  return fs
    .readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(modelsDir, e.name, 'dllm.json')))
    .map((e) => e.name);
}

/**
 * Every file of every bundled model folder must ship (graphs, their shared weights file, the
 * tokenizer): `vsce ls` lists what .vscodeignore lets into the package.
 */
function checkModelsShip(models) {
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const listed = new Set(
    execFileSync(process.execPath, [vsce, 'ls'], { cwd: stage, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().replaceAll('\\', '/')),
  );
  for (const m of models) {
    for (const f of fs.readdirSync(path.join(stage, 'models', m))) {
      if (!listed.has(`models/${m}/${f}`)) throw new Error(`models/${m}/${f} would not ship: check .vscodeignore`);
    }
  }
}

function main() {
  log(`target ${target}, stage ${path.relative(root, stage)}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  // 1. Production bundles, built into the stage: src is linked in so build/esbuild.mjs's relative
  //    entry points resolve, and dist/ lands in the stage instead of the working tree.
  fs.symlinkSync(path.join(root, 'src'), path.join(stage, 'src'), 'dir');
  execFileSync(process.execPath, [path.join(root, 'build', 'esbuild.mjs'), '--production'], { cwd: stage, stdio: 'inherit' });
  fs.rmSync(path.join(stage, 'src'));

  // 2. Manifest and the files that ship beside the bundles.
  const staged = { ...manifest };
  delete staged.scripts; // a vscode:prepublish here would rebuild into the working tree
  delete staged.devDependencies;
  staged.dependencies = Object.fromEntries(externalModules.map((m) => [m, manifest.dependencies[m]]));
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  for (const file of ['README.md', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md', '.vscodeignore', 'media']) {
    if (fs.existsSync(path.join(root, file))) copy(path.join(root, file), path.join(stage, file));
  }
  const models = bundledModelFolders();
  if (models.length === 0) throw new Error('no bundled model (models/<name>/dllm.json) to package');
  for (const m of models) copy(path.join(root, 'models', m), path.join(stage, 'models', m));
  log(`bundled model(s): ${models.join(', ')}`);

  // 3. External modules and their production dependencies, at the same relative places.
  for (const dir of productionClosure(externalModules)) {
    copy(dir, path.join(stage, path.relative(root, dir)));
  }
  pruneOrtBinaries(path.join(stage, 'node_modules', 'onnxruntime-node'), target);

  checkModelsShip(models);

  // 4. vsce. Relative README links stay relative: the images ship inside the package and VS Code
  //    shows them from the installed folder.
  fs.mkdirSync(outDir, { recursive: true });
  const vsix = path.join(outDir, vsixName);
  const vsceArgs = ['package', '--target', target, '--out', vsix, '--no-rewrite-relative-links', '--allow-missing-repository'];
  if (!['LICENSE', 'LICENSE.md'].some((f) => fs.existsSync(path.join(stage, f)))) vsceArgs.push('--skip-license');
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, ...vsceArgs], { cwd: stage, stdio: 'inherit' });
  const mb = (fs.statSync(vsix).size / 1024 / 1024).toFixed(1);
  log(`${path.relative(process.cwd(), vsix) || vsix} (${mb} MB)`);
}

main();
