/**
 * What a request's length choice decided (src/engine/length.ts), reported in InfillStats for models
 * whose manifest asks for it (`lengthChoice`); absent where the canvas was as long as the request allowed.
 */
export interface LengthChoiceStats {
  /** Canvas length of the first pass, which read where the middle likely ends: the request's cap. */
  probedTokens: number;
  /** First position where that pass's end-token probability passed one half, or -1 where none did. */
  likelyEnd: number;
  /** Canvas length denoised: the likely end plus a margin, at most `probedTokens` (then the probe's pass is reused). */
  chosenTokens: number;
}
