/**
 * Real edgebench runs of a model whose cost is known: a chain of identical MatMuls. The slower copy has one more
 * link (21 instead of 20), so its extra cost is a known 1/20 of the compute, not a guess.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import { executePlan, type ExecuteOptions } from '../../harness/execute/execute-plan.ts';
import type { Results } from '../../harness/core/results.ts';
import { gaussian, seededRandom } from '../demo/random.ts';

export const WIDTH = 512;
export const BATCH = 16;

export interface ChainBench {
  scratch: string;
  original: string;
  slower: string;
  describe: string;
  /** A suite at default settings (warm-up, iterations, repeats, compare) but for its model(s) and one thread. */
  suiteFor(name: string, variants: [string, string][], extra?: string[]): Promise<RunPlan>;
  run(plan: RunPlan, extra?: Pick<ExecuteOptions, 'ab' | 'repeats' | 'sequential' | 'turns' | 'paired'>): Promise<{ results: Results; file: string }>;
  close(): Promise<void>;
}

export async function chainBench(options: { layers: number; iterations?: string }): Promise<ChainBench> {
  const scratch = await mkdtemp(join(tmpdir(), 'edgebench-gate-'));
  /** x [BATCH, WIDTH] times the same WIDTH x WIDTH matrix `count` times: cost proportional to `count`. */
  const matMulChain = async (count: number): Promise<string> => {
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
  };
  const normal = gaussian(seededRandom(11));
  const input = Array.from({ length: BATCH }, () => Array.from({ length: WIDTH }, () => Number(normal().toFixed(4))));
  await writeFile(join(scratch, 'inputs.jsonl'), `${JSON.stringify({ id: 'x', inputs: { x: input } })}\n`);
  const original = await matMulChain(options.layers);
  const slower = await matMulChain(options.layers + 1);
  let runs = 0;
  return {
    scratch,
    original,
    slower,
    describe: `${options.layers + 1} vs ${options.layers} MatMuls of [${BATCH}x${WIDTH}] x [${WIDTH}x${WIDTH}]`,
    async suiteFor(name, variants, extra = []) {
      const suiteFile = join(scratch, `${name}.yaml`);
      const lines = [
        'name: gate-check',
        'task: forward',
        'dataset: inputs.jsonl',
        'devices: [host]',
        ...(options.iterations ? [`iterations: ${options.iterations}`] : []),
        'runtime:',
        '  intraOpThreads: 1',
        ...extra,
        'variants:',
        ...variants.map(([variant, file]) => `  - {name: ${variant}, precision: fp32, file: ${file}}`),
        '',
      ];
      await writeFile(suiteFile, lines.join('\n'));
      return buildPlan({ suiteFile, devicesFile: 'devices.yaml' });
    },
    async run(plan, extra = {}) {
      const { results, resultsFile } = await executePlan(plan, { outDir: join(scratch, 'reports'), runId: `run-${++runs}`, ...extra });
      const failed = results.cells.find((c) => c.status !== 'ok');
      if (failed) throw new Error(`a benchmark run failed: ${failed.error?.code}: ${failed.error?.message}`);
      return { results, file: resultsFile };
    },
    close: () => rm(scratch, { recursive: true, force: true }),
  };
}
