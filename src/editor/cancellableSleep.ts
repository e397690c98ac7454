/**
 * A sleep that ends early when its token is cancelled: the inline provider's debounce.
 * No `vscode` import (VS Code's CancellationToken has the CancelSignal shape).
 */
import type { CancelSignal } from '../client/types';

/** Resolves true after `ms`, or false as soon as `token` is cancelled. */
export function cancellableSleep(ms: number, token: CancelSignal): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const subscription = token.onCancellationRequested(() => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(false);
    });
    const timer = setTimeout(() => {
      subscription.dispose();
      resolve(true);
    }, ms);
  });
}
