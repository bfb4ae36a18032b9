/**
 * How much does the harness add to what it measures? Compares the p50 latency
 * edgebench records (child-process runner, JSON-lines streaming) with a bare
 * session.run loop over the same model, inputs and session options, timed inside
 * its own process. Both start fresh each round; rounds alternate which goes first,
 * so machine drift hits both equally.
 *
 *   npm run bench:overhead [-- --rounds 9 --iterations 5000]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { localDriver } from '../harness/devices/local.ts';
import { buildPlan } from '../harness/plan/plan.ts';
import type { RunnerJob } from '../harness/core/runner-protocol.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { buildDemoModels } from './demo/build.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '9' }, iterations: { type: 'string', default: '5000' }, warmup: { type: 'string', default: '200' } },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const warmup = Number(values.warmup);

await buildDemoModels('models/demo');
const plan = await buildPlan({ suiteFile: 'suites/demo.yaml', devicesFile: 'devices.yaml', deviceIds: ['host'] });
const variant = plan.variants[0]!;
const job: RunnerJob = { modelPath: variant.modelPath, task: plan.task.spec, warmup, iterations, runtime: plan.suite.runtime, examples: variant.examples };

async function harnessP50(): Promise<number> {
  const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 600_000 });
  const samples = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : []));
  if (samples.length !== iterations) throw new Error(`harness run failed: ${JSON.stringify(outcome.events.find((e) => e.type === 'error'))}`);
  return percentileOfSorted(sortAscending(samples), 0.5);
}

/** The same job in a fresh process that does nothing but time session.run: no protocol, no batching, no bookkeeping. */
async function bareP50(): Promise<number> {
  const { stdout } = await execa(process.execPath, [fileURLToPath(new URL('./bare-session-loop.mjs', import.meta.url))], { input: JSON.stringify(job) });
  return percentileOfSorted(sortAscending(JSON.parse(stdout) as number[]), 0.5);
}

console.log(`model ${variant.variant.file}, ${iterations} timed iterations after ${warmup} warm-up, ${rounds} alternating rounds`);
const ratios: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const [first, second] = round % 2 ? [await harnessP50(), await bareP50()] : [await bareP50(), await harnessP50()].reverse();
  const ratio = first! / second!;
  ratios.push(ratio);
  console.log(`round ${round}: harness p50 ${first!.toFixed(4)} ms, bare p50 ${second!.toFixed(4)} ms, ratio ${ratio.toFixed(4)}`);
}
console.log(`median ratio harness/bare: ${percentileOfSorted(sortAscending(ratios), 0.5).toFixed(4)} (target <= 1.01)`);
