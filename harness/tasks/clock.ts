/**
 * The runner's one clock. performance.now() is monotonic in Node.js (sub-microsecond,
 * from the same source as process.hrtime) and in browsers (5 us when the page is
 * cross-origin isolated), so the tasks time the same way on every device.
 */
export const nowMs = (): number => performance.now();

export const elapsedMs = (startMs: number): number => performance.now() - startMs;
