/** Resolves once `condition()` holds, checked every 50 ms; rejects after `timeoutMs`, saying what it waited for. */
export async function until(condition: () => boolean, { timeoutMs, what }: { timeoutMs: number; what: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
