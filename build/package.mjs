// `npm run package`: platform-specific packages, dllm-complete-<target>-<version>.vsix, one per
// Marketplace target (win32-x64, darwin-arm64, linux-arm64, linux-x64), or one with --target.
//
// Everything happens in staging folders (.cache/package/), never in the working tree:
//  1. production bundles (build/esbuild.mjs --production), built once into .cache/package/bundles/
//     and copied into every target's stage (.cache/package/<target>/);
//  2. package.json (scripts and devDependencies dropped; dependencies reduced to the modules the
//     bundles leave external, i.e. onnxruntime-node), the Marketplace README (README.md without
//     its closing "## Development" section), LICENSE, CHANGELOG, media, the bundled model
//     folder(s) and .vscodeignore copied in;
//  3. the external modules and their production dependencies copied into the stage's
//     node_modules, without onnxruntime-node's binaries for other platforms
//     (bin/napi-v*/<os>/<arch>): the real node_modules is never touched;
//  4. @vscode/vsce packages the stage for the target; .vscodeignore (an allowlist) decides what
//     ships, and every file of a bundled model folder must be on its list.
// A stage is removed once its package is written, and kept for inspection when packaging fails.
//
// Usage: node build/package.mjs [--target <vsce target>] [--out <dir>]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);

/** The Marketplace targets published, each a package with only its own onnxruntime binaries. */
const allTargets = ['win32-x64', 'darwin-arm64', 'linux-arm64', 'linux-x64'];

/** Modules the esbuild bundles leave external and the extension therefore has to ship. */
const externalModules = ['onnxruntime-node'];

/** Where README.md's developer part begins; it runs to the end and is not on the Marketplace. */
const developmentHeading = /^## Development[ \t]*$/m;

/** Sources kept beside what they render to: media/icon.svg is drawn into media/icon.png (build/icon.mjs). */
const sourceOnly = new Set([path.join(root, 'media', 'icon.svg')]);
const shipped = (src) => !sourceOnly.has(src);

const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const cacheDir = path.join(root, '.cache', 'package');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function option(name) {
  if (!argv.includes(name)) return undefined;
  const value = argv[argv.indexOf(name) + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function log(msg) {
  console.log(`[package] ${msg}`);
}

function copy(from, to, filter) {
  fs.cpSync(from, to, { recursive: true, dereference: true, filter });
}

/** onnxruntime-node's folder names for a vsce target: bin/napi-v<n>/<os>/<arch>. */
function ortPlatform(vsceTarget) {
  const [os, arch] = vsceTarget.split('-');
  return { os: os === 'alpine' ? 'linux' : os, arch };
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

/**
 * A copy filter that leaves out onnxruntime-node binaries for every platform but the target's,
 * so that the other platforms' hundreds of MB are never copied.
 */
function ortBinaryFilter(ortDir, vsceTarget) {
  const { os, arch } = ortPlatform(vsceTarget);
  const binDir = path.join(ortDir, 'bin');
  return (src) => {
    const rel = path.relative(binDir, src);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return true;
    const [, osDir, archDir] = rel.split(path.sep); // napi-v<n>/<os>/<arch>/…
    return (osDir === undefined || osDir === os) && (archDir === undefined || archDir === arch);
  };
}

/** Checks the stage's onnxruntime-node holds binaries for the target's platform and no other. */
function checkOrtBinaries(ortDir, vsceTarget) {
  const { os, arch } = ortPlatform(vsceTarget);
  const binDir = path.join(ortDir, 'bin');
  const platforms = new Set();
  for (const napi of fs.readdirSync(binDir)) {
    for (const osDir of fs.readdirSync(path.join(binDir, napi))) {
      for (const archDir of fs.readdirSync(path.join(binDir, napi, osDir))) platforms.add(`${osDir}/${archDir}`);
    }
  }
  if (!platforms.has(`${os}/${arch}`)) throw new Error(`onnxruntime-node has no binaries for ${os}/${arch}`);
  if (platforms.size !== 1) throw new Error(`the ${vsceTarget} stage holds binaries for ${[...platforms].join(', ')}`);
}

function bundledModelFolders() {
  const modelsDir = path.join(root, 'models');
  return fs
    .readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(modelsDir, e.name, 'dllm.json')))
    .map((e) => e.name);
}

/** README.md for the Marketplace page: the user-facing part, without the developer section. */
function marketplaceReadme() {
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const dev = developmentHeading.exec(text);
  return dev ? `${text.slice(0, dev.index).trimEnd()}\n` : text;
}

/**
 * Every file of every bundled model folder must ship (graphs, their shared weights file, the
 * tokenizer): `vsce ls` lists what .vscodeignore lets into the package.
 */
function checkModelsShip(stage, models) {
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

/** The production bundles, built once for every target: they do not depend on the platform. */
function buildBundles() {
  const dir = path.join(cacheDir, 'bundles');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // src is linked in so build/esbuild.mjs's relative entry points resolve, and dist/ lands here
  // instead of the working tree.
  fs.symlinkSync(path.join(root, 'src'), path.join(dir, 'src'), 'dir');
  execFileSync(process.execPath, [path.join(root, 'build', 'esbuild.mjs'), '--production'], { cwd: dir, stdio: 'inherit' });
  fs.rmSync(path.join(dir, 'src'));
  return path.join(dir, 'dist');
}

function packageTarget(target, bundles, outDir) {
  const stage = path.join(cacheDir, target);
  log(`${target}: staging in ${path.relative(root, stage)}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  // 1. The bundles.
  copy(bundles, path.join(stage, 'dist'));

  // 2. Manifest and the files that ship beside the bundles.
  const staged = { ...manifest };
  delete staged.scripts; // a vscode:prepublish here would rebuild into the working tree
  delete staged.devDependencies;
  staged.dependencies = Object.fromEntries(externalModules.map((m) => [m, manifest.dependencies[m]]));
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  fs.writeFileSync(path.join(stage, 'README.md'), marketplaceReadme());
  for (const file of ['LICENSE', 'LICENSE.md', 'CHANGELOG.md', '.vscodeignore', 'media']) {
    if (fs.existsSync(path.join(root, file))) copy(path.join(root, file), path.join(stage, file), shipped);
  }
  const models = bundledModelFolders();
  if (models.length === 0) throw new Error('no bundled model (models/<name>/dllm.json) to package');
  for (const m of models) copy(path.join(root, 'models', m), path.join(stage, 'models', m));

  // 3. External modules and their production dependencies, at the same relative places, with
  //    only the target's onnxruntime binaries.
  for (const dir of productionClosure(externalModules)) {
    copy(dir, path.join(stage, path.relative(root, dir)), ortBinaryFilter(path.join(root, 'node_modules', 'onnxruntime-node'), target));
  }
  checkOrtBinaries(path.join(stage, 'node_modules', 'onnxruntime-node'), target);
  checkModelsShip(stage, models);

  // 4. vsce. Relative README links stay relative: what they point to ships inside the package,
  //    and VS Code shows it from the installed folder, offline.
  const vsix = path.join(outDir, `${manifest.name}-${target}-${manifest.version}.vsix`);
  const vsceArgs = ['package', '--target', target, '--out', vsix, '--no-rewrite-relative-links'];
  if (!['LICENSE', 'LICENSE.md'].some((f) => fs.existsSync(path.join(stage, f)))) vsceArgs.push('--skip-license');
  execFileSync(process.execPath, [vsce, ...vsceArgs], { cwd: stage, stdio: 'inherit' });
  fs.rmSync(stage, { recursive: true, force: true });
  return vsix;
}

function main() {
  const start = performance.now();
  const one = option('--target');
  if (one && !allTargets.includes(one)) log(`note: ${one} is not one of the published targets (${allTargets.join(', ')})`);
  const targets = one ? [one] : allTargets;
  const outDir = path.resolve(option('--out') ?? root);
  fs.mkdirSync(outDir, { recursive: true });

  log(`building the production bundles for ${targets.join(', ')}`);
  const bundles = buildBundles();
  log(`bundled model(s): ${bundledModelFolders().join(', ')}`);
  const written = targets.map((t) => packageTarget(t, bundles, outDir));

  for (const vsix of written) {
    const mb = (fs.statSync(vsix).size / 1024 / 1024).toFixed(1);
    log(`${path.relative(process.cwd(), vsix) || vsix}: ${mb} MB`);
  }
  log(`${written.length} package(s) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

main();
