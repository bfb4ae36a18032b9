import { formatFieldPath } from '../config/errors.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { Results } from '../core/results.ts';

/**
 * Writes results.json atomically (temp file in the same folder, then rename),
 * so a crash or Ctrl-C never leaves a half-written file behind. A failed
 * write is an OutputWriteError naming the file and the cause.
 */
export async function writeResults(file: string, results: Results, options: { createFolder?: boolean } = {}): Promise<void> {
  const parsed = Results.safeParse(results);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`the results do not match their schema at ${formatFieldPath(issue.path)} (${issue.message}); this is a bug in edgebench`);
  }
  await atomicWrite(file, `${JSON.stringify(parsed.data, null, 1)}\n`, options);
}

/** A results writer: `write` for after each runner process, `flush` for the last write of a run. */
export interface ResultsWriter {
  (results: Results): Promise<void>;
  flush(results: Results): Promise<void>;
}

/**
 * Writes of one results file, one at a time and no more than needed: runner
 * processes on several devices finish independently, and two writes at once
 * would share the temp file. A write asked for while one is running waits
 * for it; requests that pile up meanwhile are served by one write, which
 * serialises the results as they are when it starts. Serialising a large run
 * holds the event loop (about 0.5 s at 1,000 cells), so writes are spaced to
 * take at most `busyShare` of the time: the journal already holds every
 * process durably, and results.json only follows it. `flush` writes at once.
 */
/** The writer's clock: wall time in ms and a wait; tests hand in a clock of their own. */
export interface WriterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const wallClock: WriterClock = { now: () => performance.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export function resultsWriter(file: string, options: { busyShare?: number; createFolder?: boolean; clock?: WriterClock } = {}): ResultsWriter {
  const busyShare = options.busyShare ?? 0.2;
  const clock = options.clock ?? wallClock;
  // Every write joins one chain, so no two ever run at once.
  let tail: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | undefined;
  let readyAt = 0;
  const enqueue = (results: Results, spaced: boolean) => {
    const next = tail
      .catch(() => undefined)
      .then(() => (spaced ? clock.sleep(Math.max(0, readyAt - clock.now())) : undefined))
      .then(async () => {
        if (waiting === next) waiting = undefined;
        const began = clock.now();
        try {
          await writeResults(file, results, { createFolder: options.createFolder ?? true });
        } finally {
          const ended = clock.now();
          readyAt = ended + (ended - began) * (1 / busyShare - 1);
        }
      });
    tail = next;
    return next;
  };
  const write = (results: Results) => (waiting ??= enqueue(results, true));
  return Object.assign(write, { flush: (results: Results) => enqueue(results, false) });
}
