/**
 * Entry point of the inference child process (bundled to dist/server.js, which lives in
 * `<package root>/dist/`). Speaks JSON-RPC over stdin/stdout; see src/protocol/protocol.ts.
 */
import { loadEngine } from '../engine/engine';
import { runStdioServer } from './stdioServer';

runStdioServer(loadEngine, __dirname);
