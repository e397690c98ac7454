/**
 * Entry point of the inference child process (bundled to dist/server.js, which lives in
 * `<package root>/dist/`). The main thread speaks JSON-RPC (see src/protocol/protocol.ts); the same
 * script, started as a worker thread, runs the engine (see engineWorker.ts). Only the worker loads
 * the engine and onnxruntime: the main thread never runs a model.
 */
import { isMainThread } from 'node:worker_threads';
import { engineInWorker, serveEngine } from './engineWorker';
import { runStdioServer } from './stdioServer';

if (isMainThread) runStdioServer(engineInWorker(__filename), __dirname);
else serveEngine(async (options) => (await import('../engine/engine')).loadEngine(options));
