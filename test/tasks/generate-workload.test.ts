import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateBudgets } from '../../harness/compare/budgets.ts';
import { compareRuns } from '../../harness/compare/compare-runs.ts';
import { Budget, CompareOptions } from '../../harness/core/budget.ts';
import { Results } from '../../harness/core/results.ts';
import { writeModel } from '../../harness/onnx/build.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { onnxruntimeNode } from '../../harness/runtimes/onnxruntime-node.ts';
import type { RuntimeSession } from '../../harness/runtimes/runtime.ts';
import { tensorFromSpec } from '../../harness/runtimes/tensor.ts';
import { generateTask } from '../../harness/tasks/generate.run.ts';
import { buildDecoder, type DecoderShape } from '../../scripts/demo/decoder.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
// 2 layers x (key + value) x 4 heads x head size 8 x 4 bytes (float32) = 512 bytes of KV cache per token.
const SHAPE: DecoderShape = { vocabularySize: 96, hiddenSize: 32, layers: 2, heads: 4, ffnSize: 64, maxPositions: 48, seed: 7 };
const KV_BYTES_PER_TOKEN = 2 * 2 * 4 * 8 * 4;

const suite = (workload: string, extra = '') =>
  [
    'name: workload',
    'task: generate',
    'warmup: 0',
    'iterations: 8',
    'repeats: 1',
    'runtime: {intraOpThreads: 1}',
    `workload: ${workload}`,
    extra,
    'variants:',
    '  - {name: fp32, precision: fp32, file: ../models/decoder/model.onnx}',
    '',
  ].join('\n');

let project: TempProject;
const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

beforeAll(async () => {
  project = await tempProject();
  await writeModel(project.path('models/decoder/model.onnx'), buildDecoder(SHAPE));
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write('suites/workload.yaml', suite('{promptTokens: [8, 16], generateTokens: 8, depths: [0, 16]}'));
  await project.write('suites/seed-2.yaml', suite('{promptTokens: [8, 16], generateTokens: 8, depths: [0, 16], seed: 2}'));
  await project.write('suites/too-deep.yaml', suite('{promptTokens: [8], generateTokens: 16, depths: [0, 40]}'));
  await project.write('suites/too-long.yaml', suite('{promptTokens: [64], generateTokens: 4, depths: [0]}'));
});
afterAll(() => project.cleanup());

const planOf = (file: string) => buildPlan({ suiteFile: project.path(file), devicesFile: project.path('devices.yaml') });

describe('generate workload (llama-bench style pp and tg tests)', () => {
  it('draws the same token ids from the vocabulary on every plan, and other ids for another seed', async () => {
    const [first, again, reseeded] = await Promise.all([planOf('suites/workload.yaml'), planOf('suites/workload.yaml'), planOf('suites/seed-2.yaml')]);
    const examples = first.variants[0]!.examples;
    expect(examples.map((e) => e.id)).toEqual(['pp8', 'pp16', 'tg8@d0', 'tg8@d16']);
    expect(again.variants[0]!.examples).toEqual(examples);
    const ids = examples.find((e) => e.id === 'tg8@d16')!.feeds.input_ids!;
    expect(ids.dims).toEqual([1, 24]);
    expect(ids.data.every((id) => Number.isInteger(id) && id >= 0 && id < SHAPE.vocabularySize)).toBe(true);
    // Every test reads the same sequence from its start.
    expect(examples.find((e) => e.id === 'pp16')!.feeds.input_ids!.data).toEqual(ids.data.slice(0, 16));
    expect(reseeded.variants[0]!.examples.find((e) => e.id === 'tg8@d16')!.feeds.input_ids!.data).not.toEqual(ids.data);
  });

  it('fills the KV cache to the depth before the first timed decode step', async () => {
    const plan = await planOf('suites/workload.yaml');
    const variant = plan.variants[0]!;
    const session = await onnxruntimeNode.load(
      { location: variant.modelPath },
      { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    );
    const calls: { tokens: number; past: number; mask: number }[] = [];
    const recording: RuntimeSession = {
      ...session,
      inputs: session.inputs,
      outputs: session.outputs,
      prepare: (feeds) => session.prepare(feeds),
      async run(feeds) {
        const dims = (name: string) => (feeds[name] as unknown as { dims: readonly number[] }).dims;
        calls.push({ tokens: dims('input_ids')[1]!, past: dims('past_key_values.0.key')[2]!, mask: dims('attention_mask')[1]! });
        return session.run(feeds);
      },
    };
    const task = generateTask(recording, plan.task.specFor!(variant) as Extract<typeof plan.task.spec, { kind: 'generate' }>);
    const example = variant.examples.find((e) => e.id === 'tg8@d16')!;
    const result = await task.iterate({ id: example.id, feeds: session.prepare({ input_ids: tensorFromSpec(example.feeds.input_ids!) }) }, false);
    // One untimed prefill of the 16 depth tokens, then 8 timed steps of one token each.
    expect(calls[0]).toEqual({ tokens: 16, past: 0, mask: 16 });
    expect(calls.slice(1).map((c) => c.past)).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect(calls[1]).toEqual({ tokens: 1, past: 16, mask: 17 });
    expect(result.decodeMs).toHaveLength(8);
    expect(result.ttftMs).toBeUndefined();
    await session.release();
  });

  it('records pp and tg tokens/s, inter-token latency and KV bytes per token per cell, with raw samples; compare and budgets read them', async () => {
    const run = await edgebench(['run', '--suite', 'suites/workload.yaml', '--run-id', 'w', '--no-report']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/pp8 t\/s\s+pp16 t\/s\s+tg8@d0 t\/s\s+tg8@d16 t\/s\s+ITL p50 ms @d0\s+ITL p50 ms @d16\s+KV bytes\/token/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/w/results.json'), 'utf8')));
    const cell = results.cells[0]!;
    expect(cell.status).toBe('ok');
    expect(results.suite.dataset.examples).toBe(0);
    // 8 iterations over 4 tests: 2 samples of each.
    const workload = cell.metrics.workload!;
    expect(Object.keys(workload)).toEqual(['pp8', 'pp16', 'tg8@d0', 'tg8@d16']);
    for (const id of Object.keys(workload)) expect(cell.samples.filter((s) => s.exampleId === id)).toHaveLength(2);
    expect(workload['pp16']).toMatchObject({ kind: 'pp', depthTokens: 0, timedTokens: 16, tokensPerSecond: { source: 'measured', unit: 'tokens/s' } });
    expect(workload['tg8@d16']).toMatchObject({ kind: 'tg', depthTokens: 16, timedTokens: 8, tokensPerSecond: { source: 'measured', unit: 'tokens/s' } });
    const steps = workload['tg8@d16']!.stepMs;
    if (steps.source !== 'measured') throw new Error('expected measured decode steps');
    expect(steps.summary.n).toBe(16);
    const stepSamples = cell.samples.filter((s) => s.exampleId === 'tg8@d16').flatMap((s) => s.decodeMs ?? []);
    expect(workload['tg8@d16']!.tokensPerSecond).toMatchObject({ value: (16 * 1000) / stepSamples.reduce((a, b) => a + b, 0) });
    const prefills = cell.samples.filter((s) => s.exampleId === 'pp16');
    expect(prefills.every((s) => s.ttftMs === s.latencyMs && s.decodeMs?.length === 0)).toBe(true);
    expect(cell.metrics.kvCacheBytesPerToken).toMatchObject({ source: 'estimated', value: KV_BYTES_PER_TOKEN, unit: 'bytes' });
    expect(cell.metrics.ttftMs?.source).toBe('measured');
    expect(cell.metrics.diskBytes.source).toBe('measured');
    expect(cell.metrics.loadMs.source).toBe('measured');

    const tokensPerSecond = (workload['tg8@d16']!.tokensPerSecond as { value: number }).value;
    const budgets = [
      Budget.parse({ metric: 'tg8@d16', min: tokensPerSecond * 10 }),
      Budget.parse({ metric: 'tg8@d16', min: tokensPerSecond / 10 }),
      Budget.parse({ metric: 'itl@d16.p90', max: 0 }),
    ];
    const checked = evaluateBudgets(budgets, { candidate: results, comparisons: [], hasBaseline: false, noise: () => undefined });
    expect(checked.map((b) => [b.passed, b.actual])).toEqual([
      [false, tokensPerSecond],
      [true, tokensPerSecond],
      [false, steps.summary.p90],
    ]);
    const comparisons = compareRuns(results, results, CompareOptions.parse({}));
    expect(comparisons.find((c) => c.metric === 'tg8@d16')).toMatchObject({ unit: 'tokens/s', higherIsBetter: true, verdict: 'unchanged' });
    expect(comparisons.find((c) => c.metric === 'itl@d16.p50')).toMatchObject({ unit: 'ms', higherIsBetter: false });
    expect(comparisons.find((c) => c.metric === 'pp8')).toBeDefined();
  });

  it('refuses at validate a depth + generate, or a prompt, longer than the model context, naming the field and the fix', async () => {
    const deep = await edgebench(['validate', '--suite', 'suites/too-deep.yaml']);
    expect(deep.exitCode).not.toBe(0);
    expect(deep.stderr).toContain('workload.depths: variant "fp32" holds at most 48 tokens of context (position_ids indexes "wpe.weight", which has 48 rows)');
    expect(deep.stderr).toContain('tg16@d40 needs 56 positions (depth 40 + 16 generated)');
    expect(deep.stderr).toMatch(/fix: keep every workload depth \+ generateTokens \(16\) at most 48: depths up to 32/);
    const long = await edgebench(['validate', '--suite', 'suites/too-long.yaml']);
    expect(long.exitCode).not.toBe(0);
    expect(long.stderr).toContain('workload.promptTokens: variant "fp32" holds at most 48 tokens of context');
  });
});
