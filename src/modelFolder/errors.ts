/**
 * The one error a model folder's refusal takes, wherever it is found (the folder, its manifest, its
 * tokenizer, its graphs): the path at fault and the reason. The server turns it into its
 * ModelLoadFailed error code; the model picker shows its reason.
 */

/** The model folder is missing, corrupt or does not match its manifest. Message names path and reason. */
export class ModelLoadError extends Error {
  constructor(
    /** The file or folder at fault. */
    readonly path: string,
    /** Why it could not be used, in a few words. */
    readonly reason: string,
  ) {
    super(`Cannot load model: ${path}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}
