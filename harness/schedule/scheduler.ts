/**
 * Starts jobs as soon as the resources they claim have room, in the order
 * given: the first waiting job whose resources are all free starts next, so
 * a device's jobs keep their order and, when everything shares one resource,
 * the jobs run exactly in the given order. Each job holds its resources until
 * it settles.
 */
export interface SchedulerOptions<J> {
  resourcesOf(job: J): readonly string[];
  capacity(resource: string): number;
  run(job: J): Promise<void>;
  /** Checked before each start: once true, no new job starts and the running ones are awaited. */
  stopped?(): boolean;
  /** The clock dispatch costs are read from, in ms (performance.now unless given: tests pass their own to stay independent of machine load). */
  now?(): number;
}

export interface SchedulerStats {
  /** Jobs started. */
  started: number;
  /** Time spent choosing the next jobs each time a job settled, without the jobs' own start (the scheduler's cost), in ms. */
  dispatchMs: number[];
  /** Most jobs running at once. */
  peakConcurrency: number;
}

export async function runScheduled<J>(jobs: readonly J[], options: SchedulerOptions<J>): Promise<SchedulerStats> {
  const waiting = [...jobs];
  const held = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const stats: SchedulerStats = { started: 0, dispatchMs: [], peakConcurrency: 0 };
  let failure: { error: unknown } | undefined;
  const hasRoom = (resources: readonly string[]) => resources.every((resource) => (held.get(resource) ?? 0) < options.capacity(resource));
  const take = (resources: readonly string[], delta: 1 | -1) => {
    for (const resource of resources) held.set(resource, (held.get(resource) ?? 0) + delta);
  };

  const now = options.now ?? (() => performance.now());
  const dispatch = () => {
    const began = now();
    let inJobs = 0;
    for (let i = 0; i < waiting.length && !failure && !options.stopped?.(); i++) {
      const job = waiting[i]!;
      const resources = options.resourcesOf(job);
      if (!hasRoom(resources)) continue;
      waiting.splice(i--, 1);
      take(resources, 1);
      stats.started++;
      const jobBegan = now();
      const pending = options.run(job);
      inJobs += now() - jobBegan;
      const settled: Promise<void> = pending
        .catch((error: unknown) => {
          // The first job that throws ends the run; the others finish their process first.
          failure ??= { error };
        })
        .finally(() => {
          take(resources, -1);
          running.delete(settled);
        });
      running.add(settled);
    }
    stats.peakConcurrency = Math.max(stats.peakConcurrency, running.size);
    stats.dispatchMs.push(now() - began - inJobs);
  };

  dispatch();
  while (running.size > 0) {
    await Promise.race(running);
    dispatch();
  }
  if (failure) throw failure.error;
  if (waiting.length > 0 && !options.stopped?.()) {
    const stuck = waiting
      .map(options.resourcesOf)
      .flat()
      .filter((resource) => options.capacity(resource) < 1);
    throw new Error(`${waiting.length} job(s) can never start: resource(s) ${[...new Set(stuck)].join(', ')} have no room`);
  }
  return stats;
}
