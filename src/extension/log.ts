/**
 * The "dLLM Complete" output channel. Every inline request that shows nothing is recorded here
 * with its reason, so "why no suggestion?" always has an answer.
 */
import * as vscode from 'vscode';
import { capLength } from '../client/stderrLines';
import type { LogNotification } from '../protocol/protocol';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('dLLM Complete', { log: true });
}

/** A line from the inference process (its LogNotification or stderr), capped: one runaway message must not flood the log. */
export function logEngine(log: Log, entry: LogNotification.Params): void {
  log[entry.level](`[engine] ${capLength(entry.message)}`);
}

