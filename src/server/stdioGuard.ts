/**
 * The console goes to stderr, each line tagged with its level (`[info] …`) so the client can log it
 * at the right level. When stdout carries the JSON-RPC framing (no dedicated protocol pipe), stdout
 * is taken over for the framing alone: one stray `console.log` would corrupt the channel.
 */
import { Writable } from 'stream';
import { format } from 'util';

export type StderrLevel = 'error' | 'warn' | 'info' | 'debug';

export function writeStderrLine(level: StderrLevel, message: string): void {
  const text = message.endsWith('\n') ? message.slice(0, -1) : message;
  process.stderr.write(`[${level}] ${text.replace(/\n/g, `\n[${level}] `)}\n`);
}

/**
 * Returns the stream the message writer must use; from now on `process.stdout.write` and the
 * console go to stderr. Writes by native code to fd 1 still land on the channel, which is why the
 * client opens a dedicated protocol pipe (see stdioServer.ts).
 */
export function takeOverStdout(): Writable {
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as (chunk: Uint8Array | string, callback: (error?: Error | null) => void) => boolean;
  const channel = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      realWrite(chunk, (error) => callback(error ?? null));
    },
  });
  // EPIPE and friends: the parent is gone; the writer reports it through the channel.
  stdout.on('error', (error: Error) => channel.destroy(error));

  // Anything else that writes to stdout (a library, a native addon's JS side) lands on stderr.
  stdout.write = ((...args: Parameters<typeof process.stderr.write>) => process.stderr.write(...args)) as typeof stdout.write;
  routeConsoleToStderr();
  return channel;
}

/** Sends the console's output to stderr, tagged with its level. */
export function routeConsoleToStderr(): void {
  /* eslint-disable no-console -- replacing the console's methods, not printing */
  console.log = (...args: unknown[]) => writeStderrLine('info', format(...args));
  console.info = (...args: unknown[]) => writeStderrLine('info', format(...args));
  console.debug = (...args: unknown[]) => writeStderrLine('debug', format(...args));
  console.trace = (...args: unknown[]) => writeStderrLine('debug', `${format(...args)}\n${new Error().stack ?? ''}`);
  console.warn = (...args: unknown[]) => writeStderrLine('warn', format(...args));
  console.error = (...args: unknown[]) => writeStderrLine('error', format(...args));
  /* eslint-enable no-console */
}
