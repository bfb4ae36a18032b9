/**
 * What does the SSH path cost? Pushes the demo classifier's fp32 variant (with
 * the runner and onnxruntime-node) to an empty cache on a board twice (the
 * second push is a cache hit), then runs the same job as fresh cells through the
 * local driver and the ssh driver, interleaved, and compares their wall time.
 * Then the same for a GGUF cell: the trained demo decoder's Q4_K_M file on
 * llama.cpp (node-llama-cpp and its prebuilt for the board pushed beside the
 * runner), on the local and the ssh driver, with their generated tokens compared.
 * Last, what one sample tick of the board's probes costs: every sensor file
 * they read, fetched in one round trip (against a copy of the Raspberry Pi 5
 * tree on the loopback sshd, or the board's own /sys).
 * The board is an OpenSSH server started on 127.0.0.1 (this machine, reached
 * over SSH, as in the tests), or a kind: ssh device of an inventory.
 *
 *   npm run bench:ssh [-- --cells 7 --iterations 300 --gguf-cells 3] [-- --devices devices.yaml --device rpi5]
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDevices } from '../harness/config/load-devices.ts';
import { localDriver } from '../harness/devices/local.ts';
import { pushForJob, sshDriver } from '../harness/devices/ssh.ts';
import { SshConnection, type SshSpec } from '../harness/devices/ssh/connection.ts';
import { filesFor } from '../harness/probes/registry.ts';
import { startProbes } from '../harness/probes/sampler.ts';
import { READ_SCRIPT } from '../harness/probes/snapshot-files.ts';
import { shellWord } from '../harness/devices/ssh/quote.ts';
import { cellRuntimeOptions } from '../harness/plan/cell-runtimes.ts';
import { buildPlan } from '../harness/plan/plan.ts';
import type { RunnerJob } from '../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../harness/runner/spawn.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { boardSpec, startSshd, type TestSshd } from '../test/helpers/sshd.ts';
import { buildDemoModels } from './demo/build.ts';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '7' },
    iterations: { type: 'string', default: '300' },
    ticks: { type: 'string', default: '200' },
    'gguf-cells': { type: 'string', default: '3' },
    devices: { type: 'string', default: 'devices.yaml' },
    device: { type: 'string' },
  },
});
const cells = Number(values.cells);

await buildDemoModels('models/demo');
const plan = await buildPlan({ suiteFile: 'suites/demo.yaml', devicesFile: 'devices.yaml', deviceIds: ['host'] });
const variant = plan.variants.find((v) => v.variant.name === 'fp32')!;
const job: RunnerJob = {
  modelPath: variant.modelPath,
  task: plan.task.spec,
  warmup: plan.suite.warmup,
  iterations: Number(values.iterations),
  runtime: plan.suite.runtime,
  examples: variant.examples,
};

// The GGUF cell: the demo decoder's Q4_K_M file, a few held-out prompts, as the demo suite runs it on the host.
const decoderPlan = await buildPlan({ suiteFile: 'suites/demo-decoder.yaml', devicesFile: 'devices.yaml', deviceIds: ['host'] });
const ggufVariant = decoderPlan.variants.find((v) => v.variant.name === 'q4_k_m')!;
const ggufJob: RunnerJob = {
  modelPath: ggufVariant.modelPath,
  task: decoderPlan.task.spec,
  warmup: 1,
  iterations: 5,
  runtime: cellRuntimeOptions(decoderPlan.suite.runtime, ggufVariant.runtimes, 'host'),
  examples: ggufVariant.examples.slice(0, 4),
};

// An empty cache for the first push: a folder of its own under the board's remoteDir, removed at the end.
let sshd: TestSshd | undefined;
let scratch: string | undefined;
let spec: SshSpec;
if (values.device) {
  const device = loadDevices(values.devices).devices.find((d) => d.id === values.device);
  if (device?.kind !== 'ssh') throw new Error(`${values.devices} has no kind: ssh device "${values.device}"`);
  spec = { ...device, remoteDir: `${device.remoteDir}/bench-${randomBytes(4).toString('hex')}` };
} else {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'edgebench-ssh-bench-'));
  spec = boardSpec(sshd, { id: 'sshd-on-127.0.0.1', remoteDir: join(scratch, 'cache'), node: process.execPath });
}

const median = (values: number[]) => percentileOfSorted(sortAscending(values), 0.5);
const ms = (value: number) => `${value.toFixed(0)} ms`;

interface Cell {
  wallMs: number;
  helloMs: number;
  p50: number;
}

async function cell(runCell: (onEvent: (e: { type: string }) => void) => Promise<RunnerOutcome>): Promise<Cell> {
  const start = performance.now();
  let helloMs = 0;
  const outcome = await runCell((event) => {
    if (event.type === 'hello') helloMs = performance.now() - start;
  });
  const wallMs = performance.now() - start;
  const failure = outcome.deviceFailure ?? outcome.events.find((e) => e.type === 'error');
  if (failure || !outcome.events.some((e) => e.type === 'done')) throw new Error(`cell failed: ${JSON.stringify(failure ?? outcome.stderrTail)}`);
  const latencies = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));
  return { wallMs, helloMs, p50: percentileOfSorted(sortAscending(latencies), 0.5) };
}

const connection = new SshConnection(spec);
try {
  console.log(
    `board: ${spec.id} (${await connection.endpoint()}), variant ${variant.variant.name} (${variant.variant.diskBytes} bytes), ${job.warmup} + ${job.iterations} iterations per cell`,
  );
  let start = performance.now();
  const facts = await sshDriver.facts(spec);
  console.log(`connect and probe (one SSH handshake, facts): ${ms(performance.now() - start)}; ${facts.cpuModel}, ${facts.arch}, ${facts.os}`);

  const first = await pushForJob(spec, job);
  console.log(`first push: ${first.pushed.length} of ${first.files} files, ${(first.pushedBytes / 2 ** 20).toFixed(1)} MiB, ${ms(first.ms)}`);
  const second = await pushForJob(spec, job);
  console.log(
    `second push (cache hit): ${second.pushed.length} of ${second.files} files sent, ${ms(second.ms)} (sha256 of ${(second.bytes / 2 ** 20).toFixed(1)} MiB on the board)`,
  );

  const roundTrips: number[] = [];
  for (let i = 0; i < 5; i++) {
    start = performance.now();
    await connection.exec('true');
    roundTrips.push(performance.now() - start);
  }
  console.log(`one command over the reused connection ("true"): median ${ms(median(roundTrips))}`);

  const local: Cell[] = [];
  const board: Cell[] = [];
  for (let i = 0; i < cells; i++) {
    // Alternating which goes first, so drift of the machine touches both alike.
    const runs = [
      async () => local.push(await cell((onEvent) => localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 300_000, onEvent }))),
      async () => board.push(await cell((onEvent) => sshDriver.runCell(spec, job, { timeoutMs: 300_000, onEvent }))),
    ];
    for (const run of i % 2 ? runs.reverse() : runs) await run();
    console.log(`  cell ${i + 1}/${cells}: local ${ms(local.at(-1)!.wallMs)}, ssh ${ms(board.at(-1)!.wallMs)}`);
  }
  const of = (list: Cell[], key: keyof Cell) => median(list.map((c) => c[key]));
  console.log(`\nmedians over ${cells} cells each:`);
  console.log(`  local: cell ${ms(of(local, 'wallMs'))}, runner hello after ${ms(of(local, 'helloMs'))}, p50 ${of(local, 'p50').toFixed(4)} ms`);
  console.log(`  ssh:   cell ${ms(of(board, 'wallMs'))}, runner hello after ${ms(of(board, 'helloMs'))}, p50 ${of(board, 'p50').toFixed(4)} ms`);
  console.log(
    `per-cell overhead of the SSH path: ${ms(of(board, 'wallMs') - of(local, 'wallMs'))} (sha256 check of the cached files on the board, session start, runner start)`,
  );

  console.log(
    `\nGGUF: variant ${ggufVariant.variant.name} (${ggufVariant.variant.diskBytes} bytes) on ${ggufJob.runtime.name}, ${ggufJob.examples.length} prompts, ${ggufJob.warmup} + ${ggufJob.iterations} iterations per cell`,
  );
  const ggufFirst = await pushForJob(spec, ggufJob);
  console.log(
    `first push (node-llama-cpp with its linux-${facts.arch} prebuilt, and the variant): ${ggufFirst.pushed.length} of ${ggufFirst.files} files, ${(ggufFirst.pushedBytes / 2 ** 20).toFixed(1)} MiB, ${ms(ggufFirst.ms)}`,
  );
  const ggufSecond = await pushForJob(spec, ggufJob);
  console.log(
    `second push (cache hit): ${ggufSecond.pushed.length} of ${ggufSecond.files} files sent, ${ms(ggufSecond.ms)} (sha256 of ${(ggufSecond.bytes / 2 ** 20).toFixed(1)} MiB on the board)`,
  );
  const tokensOf = (outcome: RunnerOutcome) =>
    JSON.stringify(outcome.events.flatMap((e) => (e.type === 'output' && e.output.kind === 'generate' ? [e.output.tokenIds] : [])));
  const [ggufLocal, ggufBoard]: [Cell[], Cell[]] = [[], []];
  const ggufTokens = new Set<string>();
  for (let i = 0; i < Number(values['gguf-cells']); i++) {
    const runs = [
      async () =>
        ggufLocal.push(
          await cell(async (onEvent) => {
            const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, ggufJob, { timeoutMs: 300_000, onEvent });
            ggufTokens.add(tokensOf(outcome));
            return outcome;
          }),
        ),
      async () =>
        ggufBoard.push(
          await cell(async (onEvent) => {
            const outcome = await sshDriver.runCell(spec, ggufJob, { timeoutMs: 300_000, onEvent });
            ggufTokens.add(tokensOf(outcome));
            return outcome;
          }),
        ),
    ];
    for (const run of i % 2 ? runs.reverse() : runs) await run();
    console.log(`  cell ${i + 1}/${values['gguf-cells']}: local ${ms(ggufLocal.at(-1)!.wallMs)}, ssh ${ms(ggufBoard.at(-1)!.wallMs)}`);
  }
  console.log(`medians over ${values['gguf-cells']} cells each (p50: one greedy generation):`);
  console.log(`  local: cell ${ms(of(ggufLocal, 'wallMs'))}, runner hello after ${ms(of(ggufLocal, 'helloMs'))}, p50 ${of(ggufLocal, 'p50').toFixed(2)} ms`);
  console.log(`  ssh:   cell ${ms(of(ggufBoard, 'wallMs'))}, runner hello after ${ms(of(ggufBoard, 'helloMs'))}, p50 ${of(ggufBoard, 'p50').toFixed(2)} ms`);
  console.log(`generated tokens: ${ggufTokens.size === 1 ? 'the same on both drivers, every cell' : `${ggufTokens.size} different sequences`}`);

  // The probes' sample tick: discovery first (as at a cell's start), then one refresh per tick at 10 Hz.
  const probed: SshSpec = scratch ? { ...spec, probes: { root: join(scratch, 'raspberry-pi-5') } } : spec;
  if (scratch) await cp(new URL('../test/fixtures/sysfs/raspberry-pi-5', import.meta.url), join(scratch, 'raspberry-pi-5'), { recursive: true });
  const files = filesFor(probed);
  if (typeof files === 'string') throw new Error(files);
  await (await startProbes(probed)).stop();
  const ticks: number[] = [];
  for (let i = 0; i < Number(values.ticks); i++) {
    start = performance.now();
    await files.refresh!();
    ticks.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const sorted = sortAscending(ticks);
  const tick = (p: number) => `${percentileOfSorted(sorted, p).toFixed(1)} ms`;
  console.log(
    `\nprobes on ${files.where}: one sample tick (every file the probes read, one round trip to the reader on the board), ${ticks.length} ticks at 10 Hz: median ${tick(0.5)}, p90 ${tick(0.9)}, max ${sorted.at(-1)!.toFixed(1)} ms`,
  );
  // For contrast: the same read as a command of its own each tick (a session and a shell started on the board every time).
  const perCommand: number[] = [];
  for (let i = 0; i < 20; i++) {
    start = performance.now();
    await connection.exec(`sh -c ${shellWord(READ_SCRIPT)} sh ${shellWord(`${probed.probes?.root ?? ''}/sys/class/thermal/thermal_zone0/temp`)}`);
    perCommand.push(performance.now() - start);
  }
  console.log(`the same read as one command per tick: median ${median(perCommand).toFixed(1)} ms`);
} finally {
  if (values.device) await connection.exec(`rm -rf ${shellWord(spec.remoteDir.replace(/^~\//, ''))}`).catch(() => undefined);
  await sshDriver.release!(spec);
  await connection.close();
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}
