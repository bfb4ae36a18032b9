/**
 * What do the energy and thermal probes cost, and do they disturb what they
 * sit beside?
 *  1. Time per sample of each probe, against the sysfs fixture trees (a laptop
 *     with RAPL, thermal zones, hwmon, a battery and cpufreq; a Raspberry Pi 5)
 *     and this machine's own /sys and /proc.
 *  2. The runner's p50 latency with the probes sampling beside it at 10 Hz and
 *     100 Hz (against the laptop tree) and with sampling off, in alternating
 *     rounds of fresh runner processes, so machine drift hits every setting.
 *
 *   npm run bench:probes [-- --rounds 9 --iterations 5000 --samples 2000]
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceSpec } from '../harness/core/device-spec.ts';
import { localDriver } from '../harness/devices/local.ts';
import { buildPlan } from '../harness/plan/plan.ts';
import { hostFiles } from '../harness/probes/files.ts';
import type { Probe, ProbeContext, ProbeReadings } from '../harness/probes/probe.ts';
import { probes } from '../harness/probes/registry.ts';
import { startProbes } from '../harness/probes/sampler.ts';
import type { RunnerJob } from '../harness/core/runner-protocol.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { buildDemoModels } from './demo/build.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    iterations: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '200' },
    samples: { type: 'string', default: '2000' },
  },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);
const samplesPerProbe = Number(values.samples);
const median = (xs: number[]) => percentileOfSorted(sortAscending(xs), 0.5);

// The trees are copied to a temporary directory, as a device's probes.root would point at one.
const trees = await mkdtemp(join(tmpdir(), 'edgebench-bench-probes-'));
await cp(new URL('../test/fixtures/sysfs', import.meta.url), trees, { recursive: true });
const machines = [
  ['intel-laptop tree', join(trees, 'intel-laptop')],
  ['raspberry-pi-5 tree', join(trees, 'raspberry-pi-5')],
  ['this machine', '/'],
] as const;

console.log(`1. time per sample, ${samplesPerProbe} samples per probe (fixture trees are plain files; a real sysfs read also runs the kernel's handler)`);
for (const [name, root] of machines) {
  const context: ProbeContext = { deviceId: 'bench', files: hostFiles(root), now: () => performance.now() };
  for (const [probeName, entry] of Object.entries(probes)) {
    if (!entry.sampled) continue;
    const probe = (entry.open as (c: ProbeContext) => Probe<ProbeReadings[keyof ProbeReadings]>)(context);
    const why = await probe.start(0);
    if (why !== undefined) {
      console.log(`  ${name.padEnd(20)} ${probeName.padEnd(14)} unavailable: ${why}`);
      continue;
    }
    const times: number[] = [];
    for (let i = 0; i < samplesPerProbe; i++) {
      const began = performance.now();
      await probe.sample(i);
      times.push((performance.now() - began) * 1000);
    }
    await probe.stop(samplesPerProbe, undefined);
    const sorted = sortAscending(times);
    console.log(
      `  ${name.padEnd(20)} ${probeName.padEnd(14)} p50 ${percentileOfSorted(sorted, 0.5).toFixed(1)} µs, p99 ${percentileOfSorted(sorted, 0.99).toFixed(1)} µs`,
    );
  }
}

await buildDemoModels('models/demo');
const plan = await buildPlan({ suiteFile: 'suites/demo.yaml', devicesFile: 'devices.yaml', deviceIds: ['host'] });
const variant = plan.variants[0]!;
const job: RunnerJob = { modelPath: variant.modelPath, task: plan.task.spec, warmup, iterations, runtime: plan.suite.runtime, examples: variant.examples };
const settings = [
  ['off', 0],
  ['10 Hz', 10],
  ['100 Hz', 100],
] as const;

/** One fresh runner process with the laptop tree's probes sampling beside it at `rateHz`; its p50 and the probes' cost. */
async function measure(rateHz: number): Promise<{ p50: number; meanMs: number; samples: number }> {
  const device = DeviceSpec.parse({ id: 'host', kind: 'local', probes: { root: join(trees, 'intel-laptop'), rateHz } });
  const sampling = await startProbes(device);
  const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 600_000, onEvent: (event) => sampling.onEvent(event) });
  const probed = await sampling.stop();
  const latencies = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));
  if (latencies.length !== iterations) throw new Error(`runner failed: ${JSON.stringify(outcome.events.find((e) => e.type === 'error'))}`);
  return { p50: median(latencies), meanMs: probed.cost.meanMs, samples: probed.cost.samples };
}

console.log(
  `\n2. runner p50 with sampling beside it: ${variant.variant.file}, ${iterations} timed iterations after ${warmup} warm-up, ${rounds} rounds, settings in rotating order`,
);
const p50s = new Map<string, number[]>(settings.map(([name]) => [name, []]));
const costs = new Map<string, number[]>(settings.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  const order = settings.map((_, i) => settings[(i + round) % settings.length]!);
  const line: string[] = [];
  for (const [name, rateHz] of order) {
    const { p50, meanMs, samples } = await measure(rateHz);
    p50s.get(name)!.push(p50);
    if (samples > 0) costs.get(name)!.push(meanMs);
    line.push(`${name} ${p50.toFixed(4)} ms${samples ? ` (${samples} samples, ${(meanMs * 1000).toFixed(0)} µs each)` : ''}`);
  }
  console.log(`  round ${round + 1}: ${line.join(', ')}`);
}
const off = p50s.get('off')!;
for (const [name] of settings.slice(1)) {
  const ratios = p50s.get(name)!.map((p, i) => p / off[i]!);
  const slower = ratios.filter((r) => r > 1).length;
  console.log(
    `  ${name}: median p50 ratio to sampling off ${median(ratios).toFixed(4)} (slower in ${slower} of ${ratios.length} rounds), ${(median(costs.get(name)!) * 1000).toFixed(0)} µs per sample in the edgebench process`,
  );
}
await rm(trees, { recursive: true, force: true });
