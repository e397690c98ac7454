// Runs the command-line tools from dist/ without building on every call: their bundles are rebuilt
// (build/esbuild.mjs --quiet --tools) only when something it is built from is newer than its bundles, so
// the first call after `npm ci` or an edit builds and the calls after it start at once.
//
// Usage: node build/fresh.mjs                  bring dist/ up to date (npm run eval, bench)
//        node build/fresh.mjs complete ARGS…   then run dist/complete.js with ARGS (npm run complete)
//        node build/fresh.mjs convert ARGS…    then run dist/convert.js with ARGS (npm run convert)
//        node build/fresh.mjs models ARGS…     then run dist/models.js with ARGS (npm run models)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bundles the tools run (esbuild.mjs --tools): the command lines and the inference child complete starts. */
const outputs = ['dist/complete.js', 'dist/server.js', 'dist/convert.js', 'dist/models.js'];

/**
 * What they are built from. npm rewrites node_modules/.package-lock.json on every install, so a
 * changed dependency counts too; folders count for a file added, renamed or deleted.
 */
const inputs = ['src', 'build/esbuild.mjs', 'tsconfig.json', 'package.json', 'node_modules/.package-lock.json'];

/** Newest modification time under `file` (a folder is walked), 0 when it does not exist. */
function newest(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)));
  return latest;
}

/** Whether dist/ lacks a bundle or is older than a source. */
function isStale() {
  let oldestOutput = Infinity;
  for (const file of outputs) {
    try {
      oldestOutput = Math.min(oldestOutput, fs.statSync(path.join(root, file)).mtimeMs);
    } catch {
      return true;
    }
  }
  return inputs.some((input) => newest(path.join(root, input)) > oldestOutput);
}

function build() {
  const { status } = spawnSync(process.execPath, [path.join(root, 'build', 'esbuild.mjs'), '--quiet', '--tools'], { cwd: root, stdio: 'inherit' });
  // esbuild has printed its problems.
  if (status !== 0) process.exit(status ?? 1);
}

/** The tools this runs, each dist/<name>.js. */
const tools = ['complete', 'convert', 'models'];

const [tool, ...args] = process.argv.slice(2);
if (tool !== undefined && !tools.includes(tool)) {
  console.error(`fresh: no command-line tool "${tool}"; known: ${tools.join(', ')}`);
  process.exit(2);
}
if (isStale()) build();
if (tool !== undefined) {
  const child = spawn(process.execPath, [path.join(root, 'dist', `${tool}.js`), ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the tool too (same process group): it cancels and exits, and we follow.
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exitCode = code ?? 1;
    }
  });
}
