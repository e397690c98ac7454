/**
 * How large a message may be. The client sends the text around the cursor, cut to what the model
 * reads (src/completion/contextWindow.ts: 6 characters per context token, 49 152 characters for the
 * largest window a manifest may claim), so text ten times that is a caller's bug or a runaway file,
 * never a completion worth computing; and the server must not buffer it to find out. The client
 * checks `infillTextProblem` before sending, validate.ts checks it again, and the server's framing
 * guard (src/server/frameGuard.ts) drops a message above `maxMessageBytes` as it streams past.
 * Plain TypeScript.
 */
import type { InfillRequest } from './protocol';

/** UTF-16 units of an infill's strings (prefix, suffix, language, document, progress token) together. */
export const maxInfillTextChars = 512 * 1024;

/**
 * Bytes of one message's body. JSON writes a UTF-16 unit in at most 6 bytes (`\u0001`), so an infill
 * within `maxInfillTextChars` always fits, with room to spare for its other fields.
 */
export const maxMessageBytes = 4 * 1024 * 1024;

/** Bytes of one message's header section (`Content-Length: …\r\n\r\n`, a few dozen in practice). */
export const maxHeaderBytes = 8 * 1024;

/** UTF-16 units of the strings an infill carries; their length is all that can grow without bound. */
export function infillTextChars(params: Pick<InfillRequest.Params, 'prefix' | 'suffix' | 'language' | 'document' | 'progressToken'>): number {
  return params.prefix.length + params.suffix.length + (params.language?.length ?? 0) + (params.document?.length ?? 0) + (params.progressToken?.length ?? 0);
}

/** Why an infill is too large to send, or undefined when it is not. */
export function infillTextProblem(params: Parameters<typeof infillTextChars>[0]): string | undefined {
  const chars = infillTextChars(params);
  if (chars <= maxInfillTextChars) return undefined;
  return `its text is ${chars} characters, above the limit of ${maxInfillTextChars}: send the text around the cursor, not the whole document`;
}
