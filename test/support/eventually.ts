/**
 * Waits for `check` to return a value (anything but undefined) and returns it; a check that
 * throws counts as not yet. Fails naming `what`, with the last error, once `deadlineMs` has
 * passed: the deadline only ends a hung run, so it is generous and no test depends on it.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  deadlineMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await pause(25);
  }
}

/** Paces a loop that keeps load on the service; never a way to wait for something (that is eventually()). */
export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
