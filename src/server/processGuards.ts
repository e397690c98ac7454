/**
 * The server never vanishes silently: uncaught exceptions and rejections are reported, a library
 * calling process.exit is caught in the act, and every exit says why.
 */
import { writeStderrLine } from './stdioGuard';
import type { ServerLog } from './server';

/** More uncaught exceptions than this and the process state is no longer trustworthy. */
const maxUncaughtExceptions = 10;

export interface ProcessGuards {
  /** The only sanctioned way out: logs the reason, then exits. */
  exit: (code: number, reason: string) => void;
}

/**
 * @param log reaches the client while the connection lives (LogNotification).
 */
export function installProcessGuards(log: ServerLog): ProcessGuards {
  const realExit = process.exit.bind(process);
  let exiting = false;
  let uncaught = 0;

  const exit = (code: number, reason: string): void => {
    if (exiting) return;
    exiting = true;
    writeStderrLine(code === 0 ? 'info' : 'error', `Inference server exiting with code ${code}: ${reason}`);
    realExit(code);
  };

  // Someone else (a library) called process.exit: report who, then honour it.
  process.exit = ((code?: number | string | null) => {
    if (!exiting) {
      const stack = new Error('process.exit called').stack ?? '';
      report(`process.exit(${code ?? ''}) was called outside the server's control\n${stack}`);
      exiting = true;
    }
    return realExit(code ?? undefined);
  });

  const report = (message: string): void => {
    writeStderrLine('error', message);
    try {
      log('error', message);
    } catch {
      // The connection itself may be what broke; stderr already has the message.
    }
  };

  process.on('uncaughtException', (error: Error) => {
    uncaught++;
    report(`Uncaught exception in the inference server: ${error.stack ?? error.message}`);
    if (isBrokenPipe(error)) exit(1, 'the client is gone (broken pipe)');
    else if (uncaught > maxUncaughtExceptions) exit(1, `${uncaught} uncaught exceptions; the process state is not trustworthy`);
  });

  process.on('unhandledRejection', (reason: unknown) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    report(`Unhandled promise rejection in the inference server: ${text}`);
  });

  return { exit };
}

function isBrokenPipe(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}
