/**
 * What does scheduling cost per runner process? Two measurements:
 *
 * 1. A real run: the demo classifier's three variants on the local host, an
 *    emulated low-end profile (cgroups) and an SSH board (an OpenSSH server on
 *    127.0.0.1, as in the tests), `--repeats` processes per cell, scheduled as
 *    edgebench schedules them (host devices one at a time, the board beside
 *    them). Prints edgebench's own time per process outside the runner and the
 *    thermal gate (dispatch, hash check, probes, journal), the time to record a
 *    finished process, and the wall time against the sum of process times.
 * 2. The scheduler alone at scale: 100 devices x 10 variants x 3 repeats of
 *    jobs that end at once, with host-sharing devices and a farm endpoint of
 *    room 5, so the figure is the scheduler's own choice cost per start; and
 *    the background rewrite of a 1,000-cell results.json.
 *
 *   npm run bench:scheduler [-- --repeats 10 --iterations 100]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { sshDriver } from '../harness/devices/ssh.ts';
import { buildPlan } from '../harness/plan/plan.ts';
import { resultsWriter } from '../harness/results/write-results.ts';
import { executePlan } from '../harness/execute/execute-plan.ts';
import { runScheduled } from '../harness/schedule/scheduler.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { latencies, results } from '../test/helpers/results.ts';
import { boardYaml, startSshd } from '../test/helpers/sshd.ts';
import { buildDemoModels } from './demo/build.ts';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '10' }, iterations: { type: 'string', default: '100' } } });
const figures = (values: number[]) => {
  const sorted = sortAscending(values);
  const at = (q: number) => percentileOfSorted(sorted, q).toFixed(2);
  return `n ${sorted.length}, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`;
};

await buildDemoModels('models/demo');
const scratch = await mkdtemp(join(tmpdir(), 'edgebench-scheduler-bench-'));
const sshd = await startSshd();
try {
  // 1. A real run.
  const models = resolve('models');
  const suite = readFileSync('suites/demo.yaml', 'utf8')
    .replaceAll('../models', models)
    .replace(/^devices:.*$/m, 'devices: [host, low-end, board]')
    .replace(/^iterations:.*$/m, `iterations: ${values.iterations}`)
    .replace(/^repeats:.*$/m, `repeats: ${values.repeats}`);
  await writeFile(join(scratch, 'suite.yaml'), suite);
  await writeFile(
    join(scratch, 'devices.yaml'),
    [
      'devices:',
      '  - { id: host, kind: local }',
      '  - { id: low-end, kind: emulated, cpus: [0], cpuQuota: 0.5, memoryMiB: 1024, fallback: taskset }',
      boardYaml(sshd, { remoteDir: join(scratch, 'board'), knownHosts: true }),
    ].join('\n'),
  );
  const plan = await buildPlan({ suiteFile: join(scratch, 'suite.yaml'), devicesFile: join(scratch, 'devices.yaml') });
  const began = performance.now();
  const { results: run } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: 'bench' });
  const wallMs = performance.now() - began;
  await sshDriver.release!(plan.devices.find((d) => d.kind === 'ssh')! as never);
  const processes = run.cells.flatMap((cell) =>
    cell.repeats!.map((r) => ({
      device: cell.deviceId,
      startedAt: r.startedAt,
      ms: Date.parse(r.finishedAt) - Date.parse(r.startedAt),
      overheadMs: r.overheadMs!,
    })),
  );
  const firstOf = new Set(
    ['host', 'low-end', 'board'].map((device) => processes.filter((p) => p.device === device).sort((a, b) => a.startedAt.localeCompare(b.startedAt))[0]),
  );
  // The board's first process also finds its sensors over SSH (a command per directory listing): probe start-up, counted here too.
  const sum = processes.reduce((total, p) => total + p.ms, 0);
  console.log(
    `real run: ${processes.length} runner processes on host, low-end and board (${run.scheduling!.policy}; peak ${run.scheduling!.peakConcurrency} at once), ${run.cells.filter((c) => c.status === 'ok').length}/${run.cells.length} cells ok`,
  );
  console.log(`  wall ${(wallMs / 1000).toFixed(1)} s against ${(sum / 1000).toFixed(1)} s of processes end to end (${(sum / wallMs).toFixed(2)}x)`);
  console.log(`  edgebench's own time per process (outside runner and thermal gate): ${figures(processes.map((p) => p.overheadMs))}`);
  for (const device of ['host', 'low-end', 'board'])
    console.log(`    ${device}: ${figures(processes.filter((p) => p.device === device).map((p) => p.overheadMs))}`);
  console.log(
    `    each device's first process (sensor discovery; over SSH for the board): ${[...firstOf].map((p) => `${p!.device} ${p!.overheadMs.toFixed(1)} ms`).join(', ')}; every later process: ${figures(processes.filter((p) => !firstOf.has(p)).map((p) => p.overheadMs))}`,
  );
  console.log(
    `  recording a finished process (cell rebuilt, results.json rewrite queued): p50 ${run.scheduling!.overhead!.recordMs.p50.toFixed(2)} ms, max ${run.scheduling!.overhead!.recordMs.max.toFixed(2)} ms`,
  );
  console.log(
    `  choosing the next processes: p50 ${run.scheduling!.overhead!.dispatchMs.p50.toFixed(3)} ms, max ${run.scheduling!.overhead!.dispatchMs.max.toFixed(3)} ms`,
  );

  // 2. The scheduler at scale.
  const jobs = Array.from({ length: 100 }, (_, d) => d).flatMap((d) => Array.from({ length: 30 }, (_, k) => ({ device: d, k })));
  const resources = (d: number) => [`device:${d}`, ...(d < 10 ? ['host'] : d < 60 ? ['endpoint:farm'] : [])];
  const scale = await runScheduled(jobs, {
    resourcesOf: (job) => resources(job.device),
    capacity: (r) => (r === 'endpoint:farm' ? 5 : 1),
    run: () => new Promise((done) => setImmediate(done)),
  });
  console.log(
    `scheduler alone: ${scale.started} jobs over 100 devices, peak ${scale.peakConcurrency} at once; choosing: ${figures(scale.dispatchMs)} per settle`,
  );

  const big = results(
    Array.from({ length: 1000 }, (_, c) => ({
      deviceId: `device-${Math.floor(c / 10)}`,
      variant: `variant-${c % 10}`,
      samples: latencies(300, 1, c + 1),
      repeats: 3,
    })),
    { runId: 'big' },
  );
  const write = resultsWriter(join(scratch, 'big', 'results.json'));
  const writes: number[] = [];
  for (let k = 0; k < 5; k++) {
    const start = performance.now();
    // flush: the write itself, without the spacing that keeps background writes to a fifth of the time.
    await write.flush(big);
    writes.push(performance.now() - start);
  }
  console.log(`rewriting a 1,000-cell results.json (300 samples per cell; in a run, in the background and spaced to a fifth of the time): ${figures(writes)}`);
} finally {
  await sshd.stop();
  await rm(scratch, { recursive: true, force: true });
}
