// Waiting on a condition instead of sleeping for a guess: a passing condition returns at once,
// and the deadline is generous so a busy 2-core machine still passes.

const POLL_MS = 25;

/** Polls `condition` until it returns a value other than undefined, null or false, and returns that value. */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  description = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
