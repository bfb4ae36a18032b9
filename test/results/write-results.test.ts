import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { resultsWriter } from '../../harness/results/write-results.ts';
import { latencies, results } from '../helpers/results.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-writer-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('resultsWriter', () => {
  it('serves writes asked for at once one at a time, ending with the latest state and no temp file', async () => {
    const file = join(dir, 'run', 'results.json');
    const write = resultsWriter(file);
    const run = results(
      Array.from({ length: 40 }, (_, k) => ({ deviceId: `d${k}`, variant: 'fp32', samples: latencies(300, 1, k + 1) })),
      { runId: 'many' },
    );
    const cells = run.cells;
    const writes: Promise<void>[] = [];
    // Twenty processes finishing together, each adding its cell: the file must end with all of them.
    for (let k = 1; k <= 20; k++) {
      run.cells = cells.slice(0, k * 2);
      writes.push(write(run));
    }
    await Promise.all(writes);
    // Requests that piled up while a write ran were served by one write.
    expect(new Set(writes).size).toBeLessThanOrEqual(3);
    const written = Results.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(written.cells).toHaveLength(40);
    expect(await readdir(join(dir, 'run'))).toEqual(['results.json']);
  });

  it('goes on after a failed write', async () => {
    const file = join(dir, 'later', 'results.json');
    const write = resultsWriter(file);
    const run = results([{ deviceId: 'host', variant: 'fp32', samples: latencies(10, 1, 1) }]);
    await expect(write({ ...run, status: 'bogus' } as unknown as Results)).rejects.toThrow();
    await write(run);
    expect(Results.parse(JSON.parse(await readFile(file, 'utf8'))).runId).toBe(run.runId);
  });
});

describe('resultsWriter spacing', () => {
  it('spaces writes so they take at most their share of the time, and flush writes the final state at once after them', async () => {
    const file = join(dir, 'spaced', 'results.json');
    // busyShare 0.25: after a write of d ms, the next waits 3d ms.
    const run = results(
      Array.from({ length: 200 }, (_, k) => ({ deviceId: `d${k}`, variant: 'fp32', samples: latencies(300, 1, k + 1) })),
      { runId: 'spaced' },
    );
    // A clock that moves only when read (each read is 10 ms later) or slept on: write times without the machine's load in them.
    let now = 0;
    const sleeps: number[] = [];
    const clock = {
      now: () => (now += 10),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const spacedWrite = resultsWriter(file, { busyShare: 0.25, clock });
    await spacedWrite(run);
    // The first write took 10 ms on this clock (began at 20, ended at 30): the next may start 3 x 10 ms after it ended.
    expect(sleeps).toEqual([0]);
    await spacedWrite(run);
    expect(sleeps).toEqual([0, 20]);
    expect(now).toBeGreaterThanOrEqual(30 + 30);
    run.status = 'complete';
    await spacedWrite.flush(run);
    // flush does not wait.
    expect(sleeps).toEqual([0, 20]);
    expect(Results.parse(JSON.parse(await readFile(file, 'utf8'))).status).toBe('complete');
    expect(await readdir(join(dir, 'spaced'))).toEqual(['results.json']);
  });
});
