/**
 * The converter's one kind of failure: a refusal with one line a user can act on (what is wrong,
 * in which file). Checkpoints come from the network, so every check on them ends here, never in a
 * crash or a half-written model folder.
 */
export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}
