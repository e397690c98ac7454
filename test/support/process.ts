/** Process checks shared by the test layers that watch the engine's child process. */

/** Whether a process with this id still exists (signal 0 tests for it without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
