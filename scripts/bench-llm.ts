/**
 * The LLM metric set on the demo decoder's ONNX variants (fp32, int8, int4) on this
 * machine: a workload-only generate suite run through `edgebench run` on the
 * host device, then its pp/tg table (tokens/s per prompt length and depth,
 * inter-token latency p50, KV cache bytes per context token).
 *
 *   npm run bench:llm [-- --prompt 32,96 --generate 32 --depths 0,64 --iterations 8]
 *
 * The trained demo decoder saw sequences of 128 tokens in training; its rotary
 * positions go to config.json's max_position_embeddings (1024), so validate
 * accepts depth + prompt + generate up to that, but past 128 tokens its text is
 * out of its training range (the timings are not).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { Results } from '../harness/core/results.ts';
import { workloadConsoleTable } from '../harness/report/workload-table.ts';
import { buildDemoModels } from './demo/build.ts';

const { values } = parseArgs({
  options: {
    prompt: { type: 'string', default: '32,96' },
    generate: { type: 'string', default: '32' },
    depths: { type: 'string', default: '0,64' },
    iterations: { type: 'string', default: '8' },
    repeats: { type: 'string', default: '1' },
  },
});
const list = (text: string) => text.split(',').map(Number);

await buildDemoModels('models/demo');
const decoder = resolve('models/demo/trained-decoder/onnx');
const dir = await mkdtemp(join(tmpdir(), 'edgebench-bench-llm-'));
try {
  const suite = join(dir, 'suite.yaml');
  await writeFile(
    suite,
    [
      'name: bench-llm',
      'task: generate',
      `warmup: ${list(values.prompt).length + list(values.depths).length}`,
      `iterations: ${values.iterations}`,
      `repeats: ${values.repeats}`,
      'runtime: {intraOpThreads: 1, graphOptimizationLevel: all}',
      `workload: {promptTokens: [${values.prompt}], generateTokens: ${values.generate}, depths: [${values.depths}]}`,
      'variants:',
      `  - {name: fp32, precision: fp32, file: ${JSON.stringify(join(decoder, 'model.onnx'))}}`,
      `  - {name: int8, manifest: ${JSON.stringify(join(decoder, 'model_quantized.manifest.json'))}}`,
      `  - {name: int4, manifest: ${JSON.stringify(join(decoder, 'model_q4.manifest.json'))}}`,
      '',
    ].join('\n'),
  );
  const started = performance.now();
  await execa('node', ['bin/edgebench.js', 'run', '--suite', suite, '--device', 'host', '-o', dir, '--run-id', 'bench-llm', '--no-report'], {
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const results = Results.parse(JSON.parse(await readFile(join(dir, 'bench-llm', 'results.json'), 'utf8')));
  const failed = results.cells.filter((c) => c.status === 'failed');
  for (const cell of failed) console.log(`${cell.variant.name}: FAILED ${cell.error?.code}: ${cell.error?.message}`);
  console.log(
    `demo decoder on ${results.devices[0]?.facts?.cpuModel ?? 'this host'}, 1 intra-op thread, ${values.iterations} iterations x ${values.repeats} process(es) shared by the tests (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  console.log(workloadConsoleTable(results));
} finally {
  await rm(dir, { recursive: true, force: true });
}
