/**
 * "ONNX int4 or GGUF Q4_K_M, on this device?" for the trained Llama-style decoder
 * (test/fixtures/models/trained-decoder, fp32 ONNX, 1.0M parameters): builds, with edgebench's own
 * quantize and convert code, ONNX int8, int4 rtn and int4 gptq (calibrated on test/fixtures/corpus/train.txt)
 * and GGUF Q8_0, Q4_0 and Q4_K_M into .cache/bench-formats/, then runs on the host, the emulated low-end
 * profile and headless Chromium (chromium-1x: ONNX on onnxruntime-web, GGUF on wllama; skipped without
 * Chromium) a generate workload suite (pp/tg) and the perplexity task over a slice of
 * test/fixtures/corpus/heldout.txt with fp32 as the reference, and prints one table per device.
 *
 *   npm run bench:formats [-- --iterations 3 --heldout-lines 40 --devices host,low-end,chromium-1x --rebuild]
 *
 * --iterations: timed runs of each workload test (pp64, pp256, tg32@d0, tg32@d256) per cell.
 *
 * Every figure says where it came from: m = measured, e = estimated, - = unavailable; the methods are listed under the table.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GgufQuant } from '../harness/core/gguf.ts';
import type { Metric } from '../harness/core/metric.ts';
import type { CellResult, Results } from '../harness/core/results.ts';
import { executePlan } from '../harness/execute/execute-plan.ts';
import { convertToGguf } from '../harness/gguf/convert-to-gguf.ts';
import { writeGgufManifest } from '../harness/gguf/gguf-manifest.ts';
import { buildPlan } from '../harness/plan/plan.ts';
import { quantizeModel, type QuantizeOptions } from '../harness/quantize/quantize.ts';
import { slidingWindows } from '../harness/tasks/perplexity-windows.ts';
import { loadTokenizer } from '../harness/tasks/tokenizer.ts';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3' },
    'heldout-lines': { type: 'string', default: '40' },
    'calibration-sequences': { type: 'string', default: '32' },
    devices: { type: 'string', default: 'host,low-end,chromium-1x' },
    rebuild: { type: 'boolean', default: false },
  },
});

const SOURCE = 'test/fixtures/models/trained-decoder';
const TRAIN = 'test/fixtures/corpus/train.txt';
const HELDOUT = 'test/fixtures/corpus/heldout.txt';
const SCRATCH = resolve('.cache/bench-formats');
const MODEL = join(SCRATCH, 'trained-decoder');
const ONNX = join(MODEL, 'onnx');
/** GPTQ's calibration: sequences of this many tokens from the start of train.txt (the model was trained on 128). */
const CALIBRATION_LENGTH = 128;
/** The workload: short prompts and depths, well inside the model's 1,024 positions (and quick at 50% of one core). */
const WORKLOAD = { promptTokens: [64, 256], generateTokens: 32, depths: [0, 256] };
/** The end of every document in the corpus (scripts/fixtures/train_demo_decoder.py). */
const EOS = '<|endoftext|>';
const PERPLEXITY = { context: 128, stride: 64, topK: 32 };

interface OnnxVariant {
  name: string;
  format: 'onnx';
  options: Omit<QuantizeOptions, 'input' | 'output'>;
}
interface GgufVariant {
  name: string;
  format: 'gguf';
  quant: GgufQuant;
}
const VARIANTS: (OnnxVariant | GgufVariant)[] = [
  { name: 'onnx-int8', format: 'onnx', options: { to: 'int8' } },
  { name: 'onnx-int4-rtn', format: 'onnx', options: { to: 'int4' } },
  { name: 'onnx-int4-gptq', format: 'onnx', options: { to: 'int4', algorithm: 'gptq' } },
  { name: 'gguf-q8_0', format: 'gguf', quant: 'q8_0' },
  { name: 'gguf-q4_0', format: 'gguf', quant: 'q4_0' },
  { name: 'gguf-q4_k_m', format: 'gguf', quant: 'q4_k_m' },
];

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** The suite's line for a variant: its manifest (hashes checked before every run, settings carried into results.json). */
type VariantLine = string;

/** The calibration examples for GPTQ: whole 128-token sequences of train.txt, encoded with the model's tokenizer. */
async function gptqCalibration(count: number): Promise<NonNullable<QuantizeOptions['int4Calibration']>> {
  const tokenizer = loadTokenizer(join(MODEL, 'tokenizer.json'), TRAIN);
  const ids = tokenizer.encode(
    (await readFile(TRAIN, 'utf8'))
      .split('\n')
      .slice(0, 4 * count)
      .join('\n\n'),
  );
  const examples = Array.from({ length: Math.min(count, Math.floor(ids.length / CALIBRATION_LENGTH)) }, (_, i) => {
    const data = ids.slice(i * CALIBRATION_LENGTH, (i + 1) * CALIBRATION_LENGTH);
    return { id: `train-${i}`, feeds: { input_ids: { type: 'int64' as const, dims: [1, data.length], data } } };
  });
  return { examples, source: TRAIN, sha256: await sha256(TRAIN) };
}

/** Builds (or reuses, when the fp32 source and the settings are unchanged) every variant; returns each variant's suite line. */
async function buildVariants(): Promise<{ lines: VariantLine[]; buildSeconds: number; reused: boolean }> {
  const started = performance.now();
  const key = createHash('sha256')
    .update(await sha256(join(SOURCE, 'onnx/model.onnx')))
    .update(JSON.stringify({ VARIANTS, CALIBRATION_LENGTH, sequences: values['calibration-sequences'] }))
    .digest('hex');
  const stamp = join(SCRATCH, 'built.json');
  const reused = !values.rebuild && existsSync(stamp) && (JSON.parse(await readFile(stamp, 'utf8')) as { key: string }).key === key;
  const lines: VariantLine[] = [`  - {name: onnx-fp32, precision: fp32, file: ${JSON.stringify(join(ONNX, 'model.onnx'))}}`];
  if (!reused) {
    await rm(SCRATCH, { recursive: true, force: true });
    await mkdir(ONNX, { recursive: true });
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])
      await copyFile(join(SOURCE, file), join(MODEL, file));
    await copyFile(join(SOURCE, 'onnx/model.onnx'), join(ONNX, 'model.onnx'));
  }
  const calibration = reused ? undefined : await gptqCalibration(Number(values['calibration-sequences']));
  for (const variant of VARIANTS) {
    const output = join(ONNX, `${variant.name}.${variant.format}`);
    const manifest = output.replace(/\.(onnx|gguf)$/, '.manifest.json');
    if (!reused) {
      if (variant.format === 'onnx') {
        const gptq = variant.options.algorithm === 'gptq' ? { int4Calibration: calibration! } : {};
        await quantizeModel({ ...variant.options, ...gptq, input: join(ONNX, 'model.onnx'), output });
      } else {
        const converted = await convertToGguf({ input: MODEL, quant: variant.quant, output });
        await writeGgufManifest(converted.file, converted.sourceModel, variant.quant);
      }
    }
    lines.push(`  - {name: ${variant.name}, manifest: ${JSON.stringify(manifest)}}`);
  }
  if (!reused) await writeFile(stamp, JSON.stringify({ key }));
  return { lines, buildSeconds: (performance.now() - started) / 1000, reused };
}

const { lines: variantLines, buildSeconds, reused } = await buildVariants();
console.log(
  `variants of ${SOURCE} in ${relative(process.cwd(), ONNX)}: ${reused ? 'reused (same source and settings)' : `built in ${buildSeconds.toFixed(0)} s`}; gptq calibrated on ${values['calibration-sequences']} x ${CALIBRATION_LENGTH} tokens of ${TRAIN}`,
);
// What each variant's weights became, from its manifest: K-quants need rows of 256, and llama.cpp's fallbacks decide the rest.
for (const variant of VARIANTS) {
  const manifest = JSON.parse(await readFile(join(ONNX, `${variant.name}.manifest.json`), 'utf8')) as {
    precision: string;
    layers?: { int4: string[]; int8: string[]; keptFloat: string[]; embeddings?: string[] };
    quantization?: { tensorTypes?: Record<string, string> };
  };
  const types = manifest.quantization?.tensorTypes;
  const counts = types
    ? Object.entries(Object.values(types).reduce<Record<string, number>>((n, type) => ({ ...n, [type]: (n[type] ?? 0) + 1 }), {}))
        .map(([type, n]) => `${n} ${type}`)
        .join(', ')
    : `${manifest.layers!.int4.length} int4 + ${manifest.layers!.int8.length} int8 MatMuls, ${manifest.layers!.embeddings?.length ?? 0} quantized embedding, ${manifest.layers!.keptFloat.length} kept float`;
  console.log(`  ${variant.name.padEnd(15)} ${manifest.precision.padEnd(6)} ${counts}`);
}

// One document per line of heldout.txt, each ending in <|endoftext|> as the model was trained and its held-out
// perplexity (training.json) was measured: one plain-text document, so no separator the model never saw comes between.
const documents = (await readFile(HELDOUT, 'utf8'))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .slice(0, Number(values['heldout-lines']));
const corpusText = documents.map((line) => `${line}${EOS}`).join('');
const corpus = join(SCRATCH, 'heldout-slice.txt');
await writeFile(corpus, corpusText);
const workloadTests = WORKLOAD.promptTokens.length + WORKLOAD.depths.length;
const common = ['runtime: {intraOpThreads: 1, graphOptimizationLevel: all}', 'repeats: 1'];
const generateSuite = join(SCRATCH, 'formats-generate.yaml');
await writeFile(
  generateSuite,
  [
    'name: bench-formats-generate',
    'task: generate',
    // Iterations go to the workload's tests in turn: warm each once, then time each `--iterations` times.
    `warmup: ${workloadTests}`,
    `iterations: ${workloadTests * Number(values.iterations)}`,
    ...common,
    `workload: ${JSON.stringify(WORKLOAD)}`,
    'variants:',
    ...variantLines,
    '',
  ].join('\n'),
);
const perplexitySuite = join(SCRATCH, 'formats-perplexity.yaml');
const perplexityYaml = (iterations: number) =>
  [
    'name: bench-formats-perplexity',
    'task: perplexity',
    `dataset: ${JSON.stringify(corpus)}`,
    'warmup: 0',
    `iterations: ${iterations}`,
    ...common,
    `perplexity: {context: ${PERPLEXITY.context}, stride: ${PERPLEXITY.stride}, topK: ${PERPLEXITY.topK}, reference: onnx-fp32, tokenizer: ${JSON.stringify(join(MODEL, 'tokenizer.json'))}}`,
    'variants:',
    ...variantLines,
    '',
  ].join('\n');

// Each window is scored by one timed iteration: as many iterations as the task will cut windows.
const corpusIds = loadTokenizer(join(MODEL, 'tokenizer.json'), corpus).encode(corpusText);
const corpusTokens = corpusIds.length;
const windows = slidingWindows(corpusIds, PERPLEXITY.context, PERPLEXITY.stride).length;
await writeFile(perplexitySuite, perplexityYaml(windows));

const deviceIds = values.devices.split(',');
async function run(suiteFile: string, runId: string): Promise<Results> {
  const plan = await buildPlan({ suiteFile, devicesFile: 'devices.yaml', deviceIds });
  const started = performance.now();
  const { results } = await executePlan(plan, { outDir: join(SCRATCH, 'reports'), runId });
  console.log(`${relative(process.cwd(), suiteFile)}: ${results.cells.length} cells in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const cell of results.cells.filter((c) => c.status !== 'ok'))
    console.log(`  ${cell.deviceId} ${cell.variant.name}: ${cell.status} ${cell.error?.code}: ${cell.error?.message}`);
  return results;
}

await rm(join(SCRATCH, 'reports'), { recursive: true, force: true });
const generate = await run(generateSuite, 'generate');
const perplexity = await run(perplexitySuite, 'perplexity');
console.log(
  `perplexity corpus: first ${values['heldout-lines']} lines of ${HELDOUT}, ${corpusTokens} tokens, ${windows} windows of ${PERPLEXITY.context} (stride ${PERPLEXITY.stride})`,
);

/** A figure and where it came from: m measured, e estimated, - unavailable (the reason is listed). */
function figure(metric: Metric | undefined, format: (value: number) => string, sources: Map<string, Set<string>>, column: string): string {
  if (!metric) return 'n/a';
  const said = sources.get(column) ?? new Set<string>();
  sources.set(column, said);
  if (metric.source === 'unavailable') {
    said.add(`unavailable: ${metric.reason}`);
    return '-';
  }
  said.add(metric.source === 'measured' ? `measured: ${metric.method}` : `estimated from ${metric.from}`);
  return `${format(metric.value)} ${metric.source === 'measured' ? 'm' : 'e'}`;
}

const cellOf = (results: Results, device: string, variant: string): CellResult | undefined =>
  results.cells.find((c) => c.deviceId === device && c.variant.name === variant);
const ppId = `pp${WORKLOAD.promptTokens.at(-1)}`;
const tgId = `tg${WORKLOAD.generateTokens}@d${WORKLOAD.depths[0]}`;
const tgDeepId = `tg${WORKLOAD.generateTokens}@d${WORKLOAD.depths.at(-1)}`;

for (const device of deviceIds) {
  const sources = new Map<string, Set<string>>();
  const header = [
    'variant',
    'runtime',
    'bytes',
    'load ms',
    `${ppId} t/s`,
    `${tgId} t/s`,
    `${tgDeepId} t/s`,
    'peak RSS MiB',
    'device peak MiB',
    'perplexity',
    'KLD mean',
    'same top-1',
  ];
  const rows: string[][] = [];
  for (const name of ['onnx-fp32', ...VARIANTS.map((v) => v.name)]) {
    const g = cellOf(generate, device, name);
    const p = cellOf(perplexity, device, name);
    const score = p?.quality?.perplexity;
    const workload = g?.metrics.workload;
    const speed = (id: string) => figure(workload?.[id]?.tokensPerSecond, (v) => v.toFixed(0), sources, `${id} tokens/s`);
    const mib = (v: number) => (v / 2 ** 20).toFixed(1);
    rows.push([
      name,
      g?.runtime?.name ?? p?.runtime?.name ?? '?',
      figure(g?.metrics.diskBytes, String, sources, 'bytes'),
      figure(g?.metrics.loadMs, (v) => v.toFixed(1), sources, 'load ms (generate run)'),
      speed(ppId),
      speed(tgId),
      speed(tgDeepId),
      figure(g?.metrics.peakRssBytes, mib, sources, 'peak RSS (generate run)'),
      figure(g?.metrics.devicePeakBytes, mib, sources, 'device peak (generate run)'),
      score ? `${score.value.toFixed(3)}` : p ? `- (${p.status})` : 'n/a',
      score?.divergence ? score.divergence.kld.mean.toExponential(2) : name === 'onnx-fp32' ? 'reference' : '-',
      score?.divergence ? `${(score.divergence.sameTop1 * 100).toFixed(1)}%` : '-',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const facts = generate.devices.find((d) => d.id === device);
  const threads = facts?.kind === 'browser' ? '1 WebAssembly thread' : '1 intra-op thread';
  console.log(`\n${device} (${facts?.kind ?? '?'}${facts?.facts?.cpuModel ? `, ${facts.facts.cpuModel}` : ''}), ${threads}:`);
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
  console.log('  where the figures come from (m measured, e estimated, - unavailable):');
  for (const [column, said] of sources) for (const text of said) console.log(`    ${column}: ${text}`);
  const anyScore = perplexity.cells.find((c) => c.deviceId === device && c.quality?.perplexity?.divergence)?.quality?.perplexity?.divergence;
  console.log(
    `    perplexity, KLD mean, same top-1: computed from each window's logits on this device (task: perplexity); KL(fp32 || variant) per scored token${anyScore ? `, ${anyScore.bound}` : ''}`,
  );
}
