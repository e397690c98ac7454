/**
 * The converter run as a child of the extension (dist/convert.js started with an IPC channel):
 * what each side sends. The extension host never converts in its own process: reading and writing
 * gigabytes would stall every other extension.
 */
import type { WriteProgress } from './weightsFile';

/** Sent by: the extension. Stop converting; the child removes what it wrote and ends. */
export interface CancelMessage {
  type: 'cancel';
}

/** Sent by: the converter. */
export type ConverterMessage =
  | { type: 'progress'; progress: WriteProgress }
  | { type: 'done'; dir: string; family: string; storage: string; weightsBytes: number }
  | { type: 'failed'; message: string; cancelled: boolean };
