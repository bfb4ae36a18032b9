import { copyFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import type { CellResult, Results } from '../../harness/core/results.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { onPath } from '../../harness/instructions/callgrind-tools.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { matMulChainInput, writeMatMulChain } from '../../scripts/demo/matmul-chain.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

// Real valgrind, so small: a 512-wide chain (the fixed cost of a run stays well under one layer's), one warm-up and three timed inferences, one process per cell.
const SHAPE = { width: 512, batch: 16 };
const hasValgrind = onPath('valgrind') !== undefined;

async function suite(project: TempProject, name: string, variants: [string, string][]): Promise<string> {
  return project.write(
    `${name}.yaml`,
    [
      `name: ${name}`,
      'task: forward',
      'dataset: x.jsonl',
      'warmup: 1',
      'iterations: 3',
      'repeats: 1',
      'measure: [time, instructions]',
      'runtime:',
      '  intraOpThreads: 1',
      'variants:',
      ...variants.map(([variant, file]) => `  - {name: ${variant}, precision: fp32, file: ${file}}`),
      '',
    ].join('\n'),
  );
}

async function run(project: TempProject, suiteFile: string, runId: string): Promise<Results> {
  const plan = await buildPlan({ suiteFile, devicesFile: project.path('devices.yaml') });
  return (await executePlan(plan, { outDir: project.path('reports'), runId })).results;
}

const cellOf = (results: Results, variant: string) => results.cells.find((c) => c.variant.name === variant)!;
const countOf = (cell: CellResult) => {
  const metric = cell.metrics.instructions;
  if (metric?.source !== 'measured') throw new Error(`no count: ${JSON.stringify(metric)}`);
  return metric.value;
};
/** The run with one cell renamed, so compare pairs it with a cell of another variant. */
const renamed = (results: Results, from: string, to: string): Results => ({
  ...results,
  cells: [{ ...cellOf(results, from), variant: { ...cellOf(results, from).variant, name: to } }],
});

describe.skipIf(!hasValgrind)('instructions counted under callgrind', () => {
  let project: TempProject;
  let results: Results;

  beforeAll(async () => {
    project = await tempProject();
    await project.write('devices.yaml', DEVICES_YAML);
    await writeFile(project.path('x.jsonl'), matMulChainInput(SHAPE));
    await writeMatMulChain(project.path('chain-20.onnx'), 20, SHAPE);
    await copyFile(project.path('chain-20.onnx'), project.path('chain-20-copy.onnx'));
    await writeMatMulChain(project.path('chain-21.onnx'), 21, SHAPE);
    const file = await suite(project, 'chains', [
      ['a', 'chain-20.onnx'],
      ['a-copy', 'chain-20-copy.onnx'],
      ['b', 'chain-21.onnx'],
    ]);
    results = await run(project, file, 'counted');
  }, 1_800_000);
  afterAll(() => project?.cleanup());

  it('stores the count per inference with its method, caveat and per-process values', () => {
    const metric = cellOf(results, 'a').metrics.instructions!;
    expect(metric).toMatchObject({
      source: 'measured',
      unit: 'count',
      per: 'inference',
      label: "measured (callgrind, Haswell-class kernels; not this CPU's kernels)",
    });
    expect(metric.source === 'measured' && metric.perProcess).toHaveLength(1);
    expect(metric.source === 'measured' && metric.method).toMatch(/libonnxruntime\.so.*InferenceSessionWrap::Run/);
    // The native process's timings are its own: three timed samples, as the suite says.
    expect(cellOf(results, 'a').samples).toHaveLength(3);
  });

  it('two byte-identical models in two processes count the same, within 0.05%', () => {
    const a = countOf(cellOf(results, 'a'));
    expect(Math.abs(countOf(cellOf(results, 'a-copy')) / a - 1)).toBeLessThan(0.0005);
  });

  it('one MatMul more in 20 counts 4.9-5.1% more', () => {
    const ratio = countOf(cellOf(results, 'b')) / countOf(cellOf(results, 'a'));
    console.log(
      `instructions: 20 layers ${countOf(cellOf(results, 'a'))}, copy ${countOf(cellOf(results, 'a-copy'))}, 21 layers ${countOf(cellOf(results, 'b'))}: ratio ${ratio}`,
    );
    expect(ratio).toBeGreaterThan(1.049);
    expect(ratio).toBeLessThan(1.051);
  });

  it('compare: the copy is unchanged, the longer chain regressed, with no statistics', () => {
    const baseline = { results: renamed(results, 'a', 'chain'), file: 'a.json' };
    const same = gate({ baseline, candidate: { results: renamed(results, 'a-copy', 'chain'), file: 'a-copy.json' } });
    const slower = gate({ baseline, candidate: { results: renamed(results, 'b', 'chain'), file: 'b.json' } });
    const instructions = (report: ReturnType<typeof gate>) => report.comparisons.find((c) => c.metric === 'instructions')!;
    expect(instructions(same)).toMatchObject({ verdict: 'unchanged' });
    expect(instructions(slower)).toMatchObject({ verdict: 'regressed' });
    expect(instructions(slower).pValue).toBeUndefined();
    expect(instructions(slower).rule).toMatch(/instruction count/);
  });

  it('a machine without valgrind records the metric as unavailable, with the fix, and still measures time', async () => {
    const file = await suite(project, 'no-valgrind', [['a', 'chain-20.onnx']]);
    const path = process.env.PATH;
    process.env.PATH = project.path('empty-bin');
    try {
      const plain = await run(project, file, 'no-valgrind');
      const cell = cellOf(plain, 'a');
      expect(cell.status).toBe('ok');
      expect(cell.metrics.latencyMs.source).toBe('measured');
      expect(cell.metrics.instructions).toMatchObject({
        source: 'unavailable',
        reason: expect.stringMatching(/valgrind is not installed.*apt-get install valgrind/),
      });
    } finally {
      process.env.PATH = path;
    }
  }, 300_000);
});
