/**
 * Is the gate right? On this machine, at default settings (suite repeats,
 * compare threshold 3%, alpha 0.01, Holm):
 *  - false alarms: A/A comparisons (the same model, two separate runs) that compare calls "regressed";
 *  - detection: comparisons of the model against a copy that does 5% more work, called "regressed".
 * The model is a chain of identical MatMuls; the slower copy has one more link
 * (21 instead of 20), so its extra cost is a known 1/20 of the compute, not a guess.
 * Every run is a real edgebench run: fresh runner processes, real onnxruntime.
 *
 *   npm run bench:gate -- --interleaved [--pairs 100 --rounds 20]    run --ab: baseline and candidate alternate in one job
 *   npm run bench:gate [-- --pairs 100 --repeats 5 --iterations 100]  separate runs, compared
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gate } from '../harness/compare/gate.ts';
import type { Comparison } from '../harness/core/comparison.ts';
import { floatTensor, model, node, tensorValue, writeModel } from '../harness/onnx/build.ts';
import { onnx } from '../harness/onnx/proto.ts';
import { buildPlan, type RunPlan } from '../harness/plan/plan.ts';
import { executePlan } from '../harness/execute/execute-plan.ts';
import type { Results } from '../harness/core/results.ts';
import { wilsonInterval } from '../harness/stats/wilson.ts';
import { gaussian, seededRandom } from './demo/random.ts';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '100' },
    iterations: { type: 'string' },
    repeats: { type: 'string' },
    layers: { type: 'string', default: '20' },
    interleaved: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '40' },
  },
});
const pairs = Number(values.pairs);
const layers = Number(values.layers);
const WIDTH = 512;
const BATCH = 16;
const METRICS = ['latency.p50', 'latency.p90', 'latency.p99'];
const scratch = await mkdtemp(join(tmpdir(), 'edgebench-gate-'));

/** x [BATCH, WIDTH] times the same WIDTH x WIDTH matrix `count` times: cost proportional to `count`. */
async function matMulChain(count: number): Promise<string> {
  const normal = gaussian(seededRandom(7));
  const weight = Float32Array.from({ length: WIDTH * WIDTH }, () => normal() / Math.sqrt(WIDTH));
  const nodes = Array.from({ length: count }, (_, i) => node('MatMul', [i === 0 ? 'x' : `h${i - 1}`, 'w'], [i === count - 1 ? 'y' : `h${i}`]));
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const file = join(scratch, `chain-${count}.onnx`);
  await writeModel(
    file,
    model(
      {
        name: `chain-${count}`,
        node: nodes,
        initializer: [floatTensor('w', [WIDTH, WIDTH], weight)],
        input: [tensorValue('x', FLOAT, [BATCH, WIDTH])],
        output: [tensorValue('y', FLOAT, [BATCH, WIDTH])],
      },
      [{ version: 17 }],
    ),
  );
  return file;
}

const normal = gaussian(seededRandom(11));
const input = Array.from({ length: BATCH }, () => Array.from({ length: WIDTH }, () => Number(normal().toFixed(4))));
await writeFile(join(scratch, 'inputs.jsonl'), `${JSON.stringify({ id: 'x', inputs: { x: input } })}\n`);
const original = await matMulChain(layers);
const slower = await matMulChain(layers + 1);

/** A suite at default settings (warm-up, iterations, repeats, compare) but for its model(s) and one thread. */
async function suiteFor(name: string, variants: [string, string][]): Promise<RunPlan> {
  const suiteFile = join(scratch, `${name}.yaml`);
  const lines = [
    'name: gate-check',
    'task: forward',
    'dataset: inputs.jsonl',
    'devices: [host]',
    ...(values.iterations ? [`iterations: ${values.iterations}`] : []),
    'runtime:',
    '  intraOpThreads: 1',
    'variants:',
    ...variants.map(([variant, file]) => `  - {name: ${variant}, precision: fp32, file: ${file}}`),
    '',
  ];
  await writeFile(suiteFile, lines.join('\n'));
  return buildPlan({ suiteFile, devicesFile: 'devices.yaml' });
}

let runs = 0;
async function run(plan: RunPlan, extra: { ab?: { a: string; b: string; rounds: number } } = {}): Promise<{ results: Results; file: string }> {
  const repeats = values.repeats ? { repeats: Number(values.repeats) } : {};
  const { results, resultsFile } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: `run-${++runs}`, ...repeats, ...extra });
  const failed = results.cells.find((c) => c.status !== 'ok');
  if (failed) throw new Error(`a benchmark run failed: ${failed.error?.code}: ${failed.error?.message}`);
  return { results, file: resultsFile };
}

const latencyComparisons = (comparisons: Comparison[]) => new Map(comparisons.filter((c) => METRICS.includes(c.metric)).map((c) => [c.metric, c]));
const tally = { falseAlarms: new Map(METRICS.map((m) => [m, 0])), detections: new Map(METRICS.map((m) => [m, 0])) };
const slowdowns: number[] = [];
const count = (into: Map<string, number>, comparisons: Map<string, Comparison>) => {
  for (const metric of METRICS) if (comparisons.get(metric)?.verdict === 'regressed') into.set(metric, into.get(metric)! + 1);
};

if (values.interleaved) {
  // run --ab: A and B alternate in rounds within one run; A/A is the model against a copy of itself.
  const rounds = Number(values.rounds);
  const same = await suiteFor('ab-same', [
    ['a', original],
    ['b', original],
  ]);
  const slowed = await suiteFor('ab-slowed', [
    ['a', original],
    ['b', slower],
  ]);
  for (let i = 0; i < pairs; i++) {
    count(tally.falseAlarms, latencyComparisons(gate({ candidate: await run(same, { ab: { a: 'a', b: 'b', rounds } }) }).comparisons));
    const detected = latencyComparisons(gate({ candidate: await run(slowed, { ab: { a: 'a', b: 'b', rounds } }) }).comparisons);
    if (process.env.GATE_DEBUG) for (const c of detected.values()) console.log(c.metric, c.verdict, c.rule);
    count(tally.detections, detected);
    slowdowns.push(detected.get('latency.p50')!.delta!.relative);
    if ((i + 1) % 10 === 0) console.log(`${i + 1}/${pairs} pairs`);
  }
} else {
  // Separate runs, as CI compares a main-branch run with a pull request's: per pair, A, A' and B.
  // A/A compares A with A'; detection compares A with B. Each tally's pairs are independent.
  const plain = await suiteFor('original', [['chain', original]]);
  const slowed = await suiteFor('slower', [['chain', slower]]);
  for (let i = 0; i < pairs; i++) {
    const a = await run(plain);
    const again = await run(plain);
    const b = await run(slowed);
    count(tally.falseAlarms, latencyComparisons(gate({ baseline: a, candidate: again }).comparisons));
    const detected = latencyComparisons(gate({ baseline: a, candidate: b }).comparisons);
    if (process.env.GATE_DEBUG) for (const c of detected.values()) console.log(c.metric, c.verdict, c.rule);
    count(tally.detections, detected);
    slowdowns.push(detected.get('latency.p50')!.delta!.relative);
    if ((i + 1) % 10 === 0) console.log(`${i + 1}/${pairs} pairs`);
  }
}

const describe = (hits: number) => {
  const ci = wilsonInterval(hits, pairs);
  return `${hits}/${pairs} = ${((hits / pairs) * 100).toFixed(1)}% (95% CI ${(ci.lower * 100).toFixed(1)}-${(ci.upper * 100).toFixed(1)}%)`;
};
const sorted = [...slowdowns].sort((x, y) => x - y);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mode = values.interleaved
  ? `interleaved A/B (run --ab, ${values.rounds} rounds)`
  : `separate runs, ${values.repeats ?? 'the suite default of 5'} runner processes per run`;
console.log(
  `\n${mode}; ${values.iterations ?? 'the suite default of 100'} timed iterations per process; default compare settings (threshold 3%, alpha 0.01, Holm)`,
);
console.log(
  `injected slowdown: ${layers + 1} vs ${layers} MatMuls of [${BATCH}x${WIDTH}] x [${WIDTH}x${WIDTH}]; measured p50 change median ${pct(sorted[Math.floor(sorted.length / 2)]!)}, range ${pct(sorted[0]!)} to ${pct(sorted.at(-1)!)}`,
);
for (const metric of METRICS)
  console.log(`${metric}: false alarms (A/A) ${describe(tally.falseAlarms.get(metric)!)}; detected ${describe(tally.detections.get(metric)!)}`);
await rm(scratch, { recursive: true, force: true });
