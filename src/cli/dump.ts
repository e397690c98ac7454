/**
 * `npm run complete -- … --dump-logits OUT.json`: the first denoising pass as the sampler saw it
 * (src/protocol/firstPass.ts), for checking a converted model against a reference implementation.
 */
import * as fs from 'fs';
import type { FirstPassDump } from '../protocol/firstPass';
import { UsageError } from './options';

/** Writes the dump; a request that ran no pass (an empty canvas) has none to write. */
export function writeDump(file: string, dump: FirstPassDump | undefined): void {
  if (!dump) throw new UsageError('--dump-logits: the request ran no denoising pass (the canvas was empty), so there are no logits to write');
  fs.writeFileSync(file, JSON.stringify(dump) + '\n');
}
