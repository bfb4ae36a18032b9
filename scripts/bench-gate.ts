/**
 * Is the gate right? On this machine, with default compare settings:
 *  - false alarms: repeated A/A comparisons (the same variant run twice) that
 *    compare calls "regressed";
 *  - detection: comparisons of the same variant against a copy made ~5% slower
 *    (a wider hidden layer whose extra units the output ignores) that it calls "regressed".
 * Every run is a real edgebench run (fresh runner process per cell).
 *
 *   npm run bench:gate [-- --pairs 100 --iterations 300] [-- --interleaved --rounds 10]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gate } from '../harness/compare/gate.ts';
import { floatTensor, writeModel } from '../harness/onnx/build.ts';
import { onnx } from '../harness/onnx/proto.ts';
import { buildPlan, type RunPlan } from '../harness/plan/plan.ts';
import { executePlan } from '../harness/run.ts';
import type { Results } from '../harness/results/schema.ts';
import { wilsonInterval } from '../harness/stats/wilson.ts';
import { buildDemoModels } from './demo/build.ts';
import { gaussian, seededRandom } from './demo/random.ts';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '100' }, iterations: { type: 'string', default: '300' }, 'extra-width': { type: 'string' }, interleaved: { type: 'boolean', default: false }, rounds: { type: 'string', default: '10' } } });
const pairs = Number(values.pairs);
const iterations = Number(values.iterations);
const scratch = await mkdtemp(join(tmpdir(), 'edgebench-gate-'));
const paths = await buildDemoModels('models/demo');

/**
 * The classifier doing more work for the same answers: the last hidden layer gets
 * `extra` more units (random weights), which the output layer reads with weight 0.
 * The MatMuls grow; no operator is added, so the cost scales smoothly with `extra`.
 */
async function slowedCopy(extra: number): Promise<string> {
  const proto = onnx.ModelProto.decode(await readFile(paths.classifier));
  const initializers = new Map(proto.graph!.initializer!.map((t) => [t.name!, t]));
  const hidden = initializers.get('hidden1.weight')!;
  const [rows, cols] = hidden.dims!.map(Number) as [number, number];
  const classes = Number(initializers.get('classifier.weight')!.dims![1]);
  const normal = gaussian(seededRandom(5));
  const weights = floatValuesOf(hidden);
  const widened = new Float32Array(rows * (cols + extra));
  for (let r = 0; r < rows; r++) {
    widened.set(weights.subarray(r * cols, (r + 1) * cols), r * (cols + extra));
    for (let c = 0; c < extra; c++) widened[r * (cols + extra) + cols + c] = normal() / Math.sqrt(rows);
  }
  const bias = new Float32Array(cols + extra);
  bias.set(floatValuesOf(initializers.get('hidden1.bias')!));
  const head = new Float32Array((cols + extra) * classes);
  head.set(floatValuesOf(initializers.get('classifier.weight')!)); // the extra rows stay 0
  proto.graph!.initializer = proto.graph!.initializer!.map((t) =>
    t.name === 'hidden1.weight' ? floatTensor(t.name, [rows, cols + extra], widened) : t.name === 'hidden1.bias' ? floatTensor(t.name, [cols + extra], bias) : t.name === 'classifier.weight' ? floatTensor(t.name, [cols + extra, classes], head) : t,
  );
  const file = join(scratch, `slowed-${extra}.onnx`);
  await writeModel(file, onnx.ModelProto.create(proto));
  return file;
}

function floatValuesOf(tensor: { rawData?: Uint8Array | null }): Float32Array {
  const raw = tensor.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

async function suiteFor(modelFile: string, name: string, secondFile?: string): Promise<RunPlan> {
  const suiteFile = join(scratch, `${name}.yaml`);
  await writeFile(suiteFile, [`name: gate-check`, 'task: classify', `dataset: ${join(process.cwd(), paths.intentsDataset)}`, 'warmup: 30', `iterations: ${iterations}`, 'runtime:', '  intraOpThreads: 1', 'variants:', ...(secondFile ? [`  - {name: a, precision: fp32, file: ${modelFile}}`, `  - {name: b, precision: fp32, file: ${secondFile}}`] : [`  - {name: fp32, precision: fp32, file: ${modelFile}}`]), ''].join('\n'));
  return buildPlan({ suiteFile, devicesFile: 'devices.yaml' });
}

let runs = 0;
async function run(plan: RunPlan): Promise<{ results: Results; file: string }> {
  const { results, resultsFile } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: `run-${++runs}` });
  const failed = results.cells.find((c) => c.status !== 'ok');
  if (failed) throw new Error(`a benchmark run failed: ${failed.error?.code}: ${failed.error?.message}`);
  return { results, file: resultsFile };
}

const verdictOf = async (a: RunPlan, b: RunPlan) => {
  const report = gate({ baseline: await run(a), candidate: await run(b) });
  return Object.fromEntries(report.comparisons.filter((c) => c.metric.startsWith('latency')).map((c) => [c.metric, { verdict: c.verdict, relative: c.delta?.relative ?? 0 }]));
};

const original = await suiteFor(resolve(paths.classifier), 'original');
// Pick the extra width that costs about 5%: measure a few and keep the closest.
let slowed: RunPlan | undefined;
let slowdown = 0;
for (const width of values['extra-width'] ? [Number(values['extra-width'])] : [24, 48, 72, 96]) {
  const candidate = await suiteFor(await slowedCopy(width), `slowed-${width}`);
  const shifts: number[] = [];
  for (let i = 0; i < 5; i++) shifts.push((await verdictOf(original, candidate))['latency.p50']!.relative);
  const median = shifts.sort((x, y) => x - y)[2]!;
  console.log(`${width} extra hidden units: median slowdown of p50 ${(median * 100).toFixed(1)}%`);
  if (!slowed || Math.abs(median - 0.05) < Math.abs(slowdown - 0.05)) [slowed, slowdown] = [candidate, median];
  if (median > 0.05) break;
}

/** --interleaved: one run --ab per comparison, A = the original, B = the candidate; compare pairs the rounds. */
async function interleavedVerdicts(candidateFile: string) {
  const plan = await suiteFor(resolve(paths.classifier), 'ab', candidateFile);
  const { results, resultsFile } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: `run-${++runs}`, ab: { a: 'a', b: 'b', rounds: Number(values.rounds) } });
  const report = gate({ candidate: { results, file: resultsFile } });
  return Object.fromEntries(report.comparisons.map((c) => [c.metric, { verdict: c.verdict, relative: c.delta?.relative ?? 0 }]));
}

const tally = async (candidate: RunPlan) => {
  const counts = { 'latency.p50': 0, 'latency.p90': 0, 'latency.p99': 0 } as Record<string, number>;
  for (let i = 0; i < pairs; i++) {
    const verdicts = values.interleaved ? await interleavedVerdicts(candidate.variants[0]!.modelPath) : await verdictOf(original, candidate);
    for (const metric of Object.keys(counts)) if (verdicts[metric]?.verdict === 'regressed') counts[metric]!++;
  }
  return counts;
};
const describe = (count: number) => {
  const ci = wilsonInterval(count, pairs);
  return `${count}/${pairs} = ${((count / pairs) * 100).toFixed(1)}% (95% CI ${(ci.lower * 100).toFixed(1)}-${(ci.upper * 100).toFixed(1)}%)`;
};
const falseAlarms = await tally(original);
const detections = await tally(slowed!);
console.log(`\n${iterations} timed iterations per ${values.interleaved ? `round, interleaved A/B with ${values.rounds} rounds per comparison` : 'run'}, default compare settings (threshold 3%, alpha 0.01, Holm)`);
console.log(`injected slowdown: ${(slowdown * 100).toFixed(1)}% (median p50 shift)`);
for (const metric of Object.keys(falseAlarms)) console.log(`${metric}: false alarms (A/A) ${describe(falseAlarms[metric]!)}; detected ${describe(detections[metric]!)}`);
await rm(scratch, { recursive: true, force: true });
