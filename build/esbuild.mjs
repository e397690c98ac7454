// Three shipped bundles: the extension (runs in VS Code's extension host; `vscode` is provided
// there), the inference server (a child process; onnxruntime-node ships as-is, not bundled) and the
// converter (a child process the extension starts; also `npm run convert`); outside --production
// also the command line's (`npm run complete`, which starts that server).
//
// Usage: node build/esbuild.mjs [--production] [--quiet] [--tools] [--watch]
//   --quiet   only errors and warnings, no size listing (for tools whose output is their result)
//   --tools   only what the command-line tools run: the server and the command lines' bundles
//   --watch   rebuild on change, reporting each round for the problem matcher of .vscode/tasks.json:
//             `[watch] build started`, the problems, `[watch] build finished`
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const quiet = process.argv.includes('--quiet');
const tools = process.argv.includes('--tools');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  // In watch mode the reporter below prints everything: esbuild's own `[watch]` lines come once
  // per bundle, and its problem layout (a blank line before the location) is not what the matcher reads.
  logLevel: watch ? 'silent' : quiet ? 'warning' : 'info',
};

// Each bundle keeps its own externals: a bundle importing the other's runtime fails to build.
const extension = { ...common, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode'] };
const server = { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', external: ['onnxruntime-node'] };
// The converter: run by the extension in a child process (src/supervision/converterProcess.ts) and by `npm run convert`.
const convert = { ...common, entryPoints: ['src/cli/convert.ts'], outfile: 'dist/convert.js' };
// `npm run complete` and `npm run models` (through build/fresh.mjs), built beside them but never packaged.
const cli = { ...common, entryPoints: ['src/cli/complete.ts'], outfile: 'dist/complete.js' };
const models = { ...common, entryPoints: ['src/cli/models.ts'], outfile: 'dist/models.js' };
const builds = production ? [extension, server, convert] : tools ? [server, cli, convert, models] : [extension, server, cli, convert, models];

/**
 * One round of `[watch] build started` … `[watch] build finished` while any bundle is building
 * (and, at first, until every bundle has built once), so the task counts as done only when all
 * are. Each round lists the problems of every bundle's latest build, not only the ones that
 * rebuilt: the matcher replaces what the previous round said.
 * @param {number} bundles how many bundles build
 */
function watchReporter(bundles) {
  let inRound = false;
  let building = 0;
  /** @type {Map<string, { errors: esbuild.Message[], warnings: esbuild.Message[] }>} latest build of each bundle */
  const latest = new Map();
  /** @param {string} bundle @returns {esbuild.Plugin} */
  const plugin = (bundle) => ({
    name: 'watch-reporter',
    setup(build) {
      build.onStart(() => {
        building++;
        if (inRound) return;
        inRound = true;
        console.log('[watch] build started');
      });
      build.onEnd((result) => {
        latest.set(bundle, result);
        if (--building > 0 || latest.size < bundles) return;
        inRound = false;
        const printed = new Set();
        let errors = 0;
        for (const result of latest.values()) {
          for (const [kind, messages] of /** @type {const} */ ([['ERROR', result.errors], ['WARNING', result.warnings]])) {
            for (const m of messages) {
              // esbuild's columns count from 0, VS Code's from 1.
              const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}:` : '';
              const line = `${kind === 'ERROR' ? '✘' : '▲'} [${kind}] ${m.text}${m.pluginName ? ` [plugin ${m.pluginName}]` : ''}`;
              // A problem in a file several bundles share is reported by each.
              if (printed.has(line + where)) continue;
              printed.add(line + where);
              if (kind === 'ERROR') errors++;
              console.log(line);
              if (where) console.log(`    ${where}`);
            }
          }
        }
        console.log(`[watch] build finished${errors > 0 ? `, ${errors} error${errors === 1 ? '' : 's'}` : ''}`);
      });
    },
  });
  return plugin;
}

if (watch) {
  const reporter = watchReporter(builds.length);
  const contexts = await Promise.all(builds.map((b) => esbuild.context({ ...b, plugins: [reporter(b.outfile)] })));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.allSettled(builds.map((b) => esbuild.build(b)));
  // esbuild has printed the problems; the rejection would only repeat them with a stack trace.
  if (results.some((r) => r.status === 'rejected')) process.exitCode = 1;
}
