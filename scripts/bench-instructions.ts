/**
 * How exact is the instructions metric, and what does it cost? With two busy loops on the cores:
 *  - the gate's MatMul chain (20 layers, a byte-identical copy, 21 layers): per trial one run of the
 *    three, compared as CI would; false alarms (copy not unchanged) and detections (21 layers regressed);
 *  - then the demo classifier and decoder variants: instructions per inference (per token for the decoder),
 *    how many runs repeat their example's count within 0.05% across the counting processes, how many
 *    onnxruntime's wall-clock housekeeping landed in, and the time the cell's processes took.
 *
 *   npm run bench:instructions [-- --processes 5 --trials 20 --skip-demo --suites suites/demo-decoder.yaml --busy-loops 2]
 * (--trials 0 skips the chain.)
 * The demo models come from `npm run build:demo-models` (models/demo/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gate } from '../harness/compare/gate.ts';
import type { Results } from '../harness/core/results.ts';
import { executePlan } from '../harness/execute/execute-plan.ts';
import { callgrindTools } from '../harness/instructions/callgrind-tools.ts';
import { buildPlan, type RunPlan } from '../harness/plan/plan.ts';
import { matMulChainInput, writeMatMulChain } from './demo/matmul-chain.ts';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '5' },
    trials: { type: 'string', default: '20' },
    'skip-demo': { type: 'boolean', default: false },
    suites: { type: 'string', default: 'suites/demo.yaml,suites/demo-decoder.yaml' },
    // Another instance's loops count too: two instances of 10 trials, one with --busy-loops 0, are 20 trials with two busy loops.
    'busy-loops': { type: 'string', default: '2' },
  },
});
const processes = Number(values.processes);
const trials = Number(values.trials);
// 5.2M instructions per inference under callgrind (about 1.3 s each): small enough for 20 trials in half an hour.
const SHAPE = { width: 512, batch: 4 };
const scratch = await mkdtemp(join(tmpdir(), 'edgebench-instructions-'));

const tools = await callgrindTools();
if ('unavailable' in tools) {
  console.error(`cannot count instructions here: ${tools.unavailable}`);
  process.exit(1);
}

// Two busy loops, one per core of a 2-core runner: the counts must not notice them.
const busy: ChildProcess[] = Array.from({ length: Number(values['busy-loops']) }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopBusy = () => busy.forEach((child) => child.kill('SIGKILL'));
process.on('exit', stopBusy);

let runs = 0;
async function run(plan: RunPlan): Promise<Results> {
  const { results } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: `run-${++runs}` });
  const failed = results.cells.find((c) => c.status !== 'ok');
  if (failed) throw new Error(`a benchmark run failed: ${failed.error?.code}: ${failed.error?.message}`);
  return results;
}

/** A suite's plan on this machine only, counting instructions in `repeats` processes of 1 warm-up + 5 timed inferences. */
async function countingPlan(suiteFile: string, devicesFile: string, repeats: number): Promise<RunPlan> {
  const plan = await buildPlan({ suiteFile, devicesFile, deviceIds: ['host'] });
  plan.suite = { ...plan.suite, warmup: 1, iterations: 5, repeats, measure: ['time', 'instructions'] };
  return plan;
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

// The gate's chain: 20 layers, a byte-identical copy, and 21 layers (a known 5% more work).
await writeMatMulChain(join(scratch, 'chain-20.onnx'), 20, SHAPE);
await copyFile(join(scratch, 'chain-20.onnx'), join(scratch, 'chain-20-copy.onnx'));
await writeMatMulChain(join(scratch, 'chain-21.onnx'), 21, SHAPE);
await writeFile(join(scratch, 'x.jsonl'), matMulChainInput(SHAPE));
await writeFile(join(scratch, 'devices.yaml'), 'devices:\n  - id: host\n    kind: local\n');
await writeFile(
  join(scratch, 'chains.yaml'),
  [
    'name: chains',
    'task: forward',
    'dataset: x.jsonl',
    'runtime:',
    '  intraOpThreads: 1',
    'variants:',
    '  - {name: a, precision: fp32, file: chain-20.onnx}',
    '  - {name: a-copy, precision: fp32, file: chain-20-copy.onnx}',
    '  - {name: b, precision: fp32, file: chain-21.onnx}',
    '',
  ].join('\n'),
);
const chains = await countingPlan(join(scratch, 'chains.yaml'), join(scratch, 'devices.yaml'), 1);
const only = (results: Results, variant: string): Results => ({
  ...results,
  cells: results.cells.filter((c) => c.variant.name === variant).map((c) => ({ ...c, variant: { ...c.variant, name: 'chain' } })),
});
const count = (results: Results, variant: string) => {
  const metric = results.cells.find((c) => c.variant.name === variant)!.metrics.instructions!;
  if (metric.source !== 'measured') throw new Error(`no count for ${variant}: ${metric.reason}`);
  return metric.value;
};
let falseAlarms = 0;
let detections = 0;
const aa: number[] = [];
const ratios: number[] = [];
const started = Date.now();
for (let trial = 1; trial <= trials; trial++) {
  const results = await run(chains);
  const verdict = (variant: string) =>
    gate({
      baseline: { results: only(results, 'a'), file: 'a.json' },
      candidate: { results: only(results, variant), file: `${variant}.json` },
    }).comparisons.find((c) => c.metric === 'instructions')!.verdict;
  if (verdict('a-copy') !== 'unchanged') falseAlarms++;
  if (verdict('b') === 'regressed') detections++;
  aa.push(count(results, 'a-copy') / count(results, 'a') - 1);
  ratios.push(count(results, 'b') / count(results, 'a'));
  console.log(
    `trial ${trial}/${trials}: a ${grouped(count(results, 'a'))}, copy ${grouped(count(results, 'a-copy'))}, 21 layers ${grouped(count(results, 'b'))}`,
  );
}
if (trials > 0) {
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(
    `\ngate chain (${SHAPE.width} wide, batch ${SHAPE.batch}; 20 vs 21 MatMuls; ${busy.length} busy loop(s) of this bench running; ${trials} trials in ${minutes} min):`,
  );
  console.log(`  A/A (byte-identical copy, another process): largest |difference| ${(Math.max(...aa.map(Math.abs)) * 100).toFixed(4)}%`);
  console.log(`  21/20 layers: ratio ${Math.min(...ratios).toFixed(5)} to ${Math.max(...ratios).toFixed(5)} (expected 1.05)`);
  console.log(`  false alarms ${falseAlarms}/${trials}, detection ${detections}/${trials} (tolerance 0.05%)`);
}
if (!values['skip-demo']) {
  for (const suite of values.suites.split(',')) {
    if (!existsSync('models/demo')) {
      console.log(`${suite}: skipped (no models/demo: run npm run build:demo-models)`);
      continue;
    }
    const results = await run(await countingPlan(suite, 'devices.yaml', processes));
    console.log(`\n${suite} (${processes} counting processes per variant, 5 timed inferences each; ${busy.length} busy loop(s) of this bench running):`);
    console.log(
      "variant  instructions (fewest per example, median)  runs within 0.05% of their example's fewest  runs with housekeeping  time (native + callgrind processes)",
    );
    for (const cell of results.cells) {
      const metric = cell.metrics.instructions;
      if (metric?.source !== 'measured') {
        console.log(`${cell.variant.name.padEnd(8)} unavailable: ${metric?.reason}`);
        continue;
      }
      // Every process runs the same examples in the same order: iteration i is the same example in each.
      const runs = metric.perIteration ?? [];
      const fewest = runs[0]!.map((_, i) => Math.min(...runs.map((counts) => counts[i]!)));
      const excess = runs.flatMap((counts) => counts.map((count, i) => count - fewest[i]!));
      const within = excess.filter((e) => e <= metric.value * 0.0005);
      const hits = excess.filter((e) => e > metric.value * 0.0005);
      const processSeconds = (cell.repeats ?? []).reduce((sum, r) => sum + (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000, 0);
      console.log(
        `${cell.variant.name.padEnd(8)} ${`${grouped(metric.value)}/${metric.per}`.padStart(42)}  ${`${within.length}/${excess.length} (largest difference ${grouped(Math.max(...within))})`.padStart(43)}  ${`${hits.length}${hits.length ? ` (+${grouped(Math.min(...hits))} to +${grouped(Math.max(...hits))})` : ''}`.padStart(22)}  ${processSeconds.toFixed(0)} s${metric.warnings ? `  warning: ${metric.warnings.join('; ')}` : ''}`,
      );
    }
  }
}

stopBusy();
await rm(scratch, { recursive: true, force: true });
