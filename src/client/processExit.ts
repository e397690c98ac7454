/** How the client words the inference process's end, and waits for it with a time limit. */

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

export function describeExit(info: ExitInfo): string {
  return info.signal ? `the inference process was killed by ${info.signal}` : `the inference process exited with code ${info.code}`;
}

/** True if `exited` settles within `ms`; the timer never outlives the wait. */
export async function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
