/**
 * The inference child's environment: the window's own, less the variables that change how Node
 * itself starts or runs. Those are set for the editor (a debugger's auto-attach, a profiler,
 * coverage) and would make the child slower, noisier or break it. Everything else stays: GPU
 * providers need PATH, LD_LIBRARY_PATH, CUDA_* and the like.
 */

/** Dropped by exact name (compared in upper case: Windows names ignore case). */
const droppedNames = new Set([
  'NODE_OPTIONS', // extra flags and `--require` hooks, e.g. a debugger's bootloader
  'NODE_PATH', // more folders searched for modules than the bundle expects
  'NODE_REPL_EXTERNAL_MODULE', // a module Node runs in place of its REPL: not ours to run
  'NODE_V8_COVERAGE', // writes coverage files on every exit
  'NODE_DEBUG', // core-module tracing on stderr, which would flood the log
  'NODE_DEBUG_NATIVE', // the same for Node's C++ side
  'NODE_PENDING_DEPRECATION', // extra deprecation warnings
  'NODE_REDIRECT_WARNINGS', // warnings go to a file instead of the log
  'NODE_CHANNEL_FD', // an IPC channel meant for the window's own parent
  'NODE_CHANNEL_SERIALIZATION_MODE', // its format
  'NODE_UNIQUE_ID', // would make the child believe it is a cluster worker
  'VSCODE_INSPECTOR_OPTIONS', // the JavaScript debugger's auto-attach settings
]);

/** Dropped by prefix. ELECTRON_RUN_AS_NODE is set again below. */
const droppedPrefixes = [
  'ELECTRON_', // Electron's switches (logging, crash dumps, asar) are for the editor
  'NODE_INSPECTOR_', // the older auto-attach of the JavaScript debugger
];

function isDroppedVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return droppedNames.has(upper) || droppedPrefixes.some((prefix) => upper.startsWith(prefix));
}

/**
 * `parent` without the dropped variables, then `extra` (the caller's own choices win), then
 * ELECTRON_RUN_AS_NODE=1, which makes VS Code's Electron binary behave as plain Node.
 */
export function childEnvironment(parent: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !isDroppedVariable(name)) env[name] = value;
  }
  return { ...env, ...extra, ELECTRON_RUN_AS_NODE: '1' };
}
