import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runScheduled } from '../../harness/schedule/scheduler.ts';

interface Job {
  id: number;
  device: string;
  resources: string[];
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the jobs for real (timers), recording every start and end and how full each resource is at each start. */
async function trace(jobs: Job[], capacity: (resource: string) => number) {
  const held = new Map<string, number>();
  const events: { id: number; at: 'start' | 'end' }[] = [];
  let overfull: string | undefined;
  const stats = await runScheduled(jobs, {
    resourcesOf: (job) => job.resources,
    capacity,
    run: async (job) => {
      for (const resource of job.resources) {
        held.set(resource, (held.get(resource) ?? 0) + 1);
        if (held.get(resource)! > capacity(resource)) overfull ??= `${resource} held ${held.get(resource)} times, room for ${capacity(resource)}`;
      }
      events.push({ id: job.id, at: 'start' });
      await sleep(job.ms);
      events.push({ id: job.id, at: 'end' });
      for (const resource of job.resources) held.set(resource, held.get(resource)! - 1);
    },
  });
  return { events, overfull, stats };
}

describe('runScheduled', () => {
  it("never gives a resource more holders than its room, runs every job once, and keeps each device's order", async () => {
    const devices = ['host', 'low-end', 'arm64', 'board-a', 'board-b', 'farm-1', 'farm-2', 'farm-3'];
    // The claims edgebench makes: host-sharing devices hold "host", farm devices share an endpoint of room 2.
    const resourcesOf = (device: string) => [
      `device:${device}`,
      ...(['host', 'low-end', 'arm64'].includes(device) ? ['host'] : []),
      ...(device.startsWith('farm') ? ['endpoint:farm'] : []),
    ];
    const capacity = (resource: string) => (resource === 'endpoint:farm' ? 2 : 1);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ device: fc.constantFrom(...devices), ms: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 40 }),
        async (specs) => {
          const jobs = specs.map((spec, id) => ({ id, device: spec.device, resources: resourcesOf(spec.device), ms: spec.ms }));
          const { events, overfull } = await trace(jobs, capacity);
          expect(overfull).toBeUndefined();
          const starts = events.filter((e) => e.at === 'start').map((e) => e.id);
          expect([...starts].sort((a, b) => a - b)).toEqual(jobs.map((j) => j.id));
          for (const device of devices) {
            const ofDevice = jobs.filter((j) => j.device === device).map((j) => j.id);
            expect(starts.filter((id) => ofDevice.includes(id))).toEqual(ofDevice);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('runs devices that share nothing side by side, and those that share the host one at a time', async () => {
    const jobs: Job[] = [
      { id: 0, device: 'host', resources: ['device:host', 'host'], ms: 40 },
      { id: 1, device: 'low-end', resources: ['device:low-end', 'host'], ms: 40 },
      { id: 2, device: 'board', resources: ['device:board'], ms: 40 },
      { id: 3, device: 'phone', resources: ['device:phone'], ms: 40 },
    ];
    const { events, stats } = await trace(jobs, () => 1);
    // host, board and phone start at once; low-end waits for host.
    expect(events.slice(0, 3).map((e) => `${e.at}${e.id}`)).toEqual(['start0', 'start2', 'start3']);
    expect(events.findIndex((e) => e.id === 1 && e.at === 'start')).toBeGreaterThan(events.findIndex((e) => e.id === 0 && e.at === 'end'));
    expect(stats.peakConcurrency).toBe(3);
    expect(stats.started).toBe(4);
  });

  it('with everything sharing one resource, runs the jobs exactly in the given order', async () => {
    const jobs = [3, 1, 4, 1, 5, 9, 2, 6].map((ms, id) => ({ id, device: `d${id % 3}`, resources: [`device:d${id % 3}`, 'run'], ms }));
    const { events } = await trace(jobs, () => 1);
    expect(events.filter((e) => e.at === 'start').map((e) => e.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(events.map((e) => e.at).join(',')).toBe(Array(8).fill('start,end').join(','));
  });

  it('starts nothing more once stopped, and waits for the jobs running', async () => {
    let stop = false;
    const ran: number[] = [];
    const jobs = [0, 1, 2, 3].map((id) => ({ id, resources: ['device:x'] }));
    await runScheduled(jobs, {
      resourcesOf: (job) => job.resources,
      capacity: () => 1,
      stopped: () => stop,
      run: async (job) => {
        ran.push(job.id);
        await sleep(5);
        if (job.id === 1) stop = true;
      },
    });
    expect(ran).toEqual([0, 1]);
  });

  it('lets the running jobs finish, then throws the first job error', async () => {
    const finished: number[] = [];
    const jobs = [0, 1, 2].map((id) => ({ id, resources: [`device:${id}`] }));
    const run = runScheduled(jobs, {
      resourcesOf: (job) => job.resources,
      capacity: () => 1,
      run: async (job) => {
        await sleep(job.id === 0 ? 1 : 20);
        if (job.id === 0) throw new Error('journal write failed');
        finished.push(job.id);
      },
    });
    await expect(run).rejects.toThrow('journal write failed');
    expect(finished.sort()).toEqual([1, 2]);
  });

  it('names a resource with no room instead of waiting forever', async () => {
    await expect(
      runScheduled([{ resources: ['endpoint:x'] }], { resourcesOf: (job) => job.resources, capacity: () => 0, run: async () => undefined }),
    ).rejects.toThrow(/can never start: resource\(s\) endpoint:x have no room/);
  });

  it("records its own dispatch cost apart from the jobs' start-up", async () => {
    // A clock that only the jobs and the scheduler's own steps move: each job's synchronous start-up costs 20 ms,
    // each reading of the clock 0.001 ms, so the figures do not depend on how loaded the machine is.
    let clockMs = 0;
    const now = () => (clockMs += 0.001);
    const jobs = Array.from({ length: 5 }, (_, id) => ({ id, resources: ['device:x'] }));
    const { dispatchMs } = await runScheduled(jobs, {
      resourcesOf: (job) => job.resources,
      capacity: () => 1,
      now,
      run: async () => {
        clockMs += 20;
      },
    });
    expect(dispatchMs).toHaveLength(6);
    // A dispatch that counted the job's start-up as its own would record at least 20 ms.
    for (const ms of dispatchMs) expect(ms).toBeLessThan(0.01);
  });
});
