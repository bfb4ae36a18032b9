import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY } from '../../harness/browser/chromium.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import type { RuntimeName } from '../../harness/core/runtime.ts';
import { browserDriver } from '../../harness/devices/browser.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { loadTokenizer } from '../../harness/tasks/tokenizer.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

/**
 * GGUF in headless Chromium through wllama (llama.cpp compiled to WebAssembly):
 * the trained demo decoder converted by edgebench, generating greedily from the
 * same prompt ids as node-llama-cpp on the host.
 */
const TRAINED = fileURLToPath(new URL('../fixtures/models/trained-decoder/', import.meta.url));
const PROMPTS = [
  "Extract the intent: 'what is the temperature in lagos half past six' ->",
  "Extract the intent: 'table for a party of eight this weekend please' ->",
];
const NEW_TOKENS = 16;

let project: TempProject;
/** Q8_0, and Q4_K_M as the demo ships it (npm run build:demo-models). */
const QUANTS = ['q8_0', 'q4_k_m'] as const;
const files = {} as Record<(typeof QUANTS)[number], string>;
let gguf: string;
let prompts: number[][];
beforeAll(async () => {
  for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`);
  }
  project = await tempProject();
  for (const quant of QUANTS) {
    files[quant] = project.path(`trained-decoder-${quant}.gguf`);
    await convertToGguf({ input: TRAINED, quant, output: files[quant] });
  }
  gguf = files.q8_0;
  const tokenizer = loadTokenizer(join(TRAINED, 'tokenizer.json'), 'test');
  prompts = PROMPTS.map((text) => tokenizer.encode(text));
}, 120_000);
afterAll(() => project?.cleanup());
// The browser is kept open between cells until the device is released, as a run does at its end.
afterAll(() => browserDriver.release!({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads: 1 }));

function generateJob(modelPath: string, runtime: RuntimeName): RunnerJob {
  return {
    modelPath,
    task: { kind: 'generate', maxNewTokens: NEW_TOKENS, stopTokenIds: [] },
    warmup: 1,
    iterations: 2,
    runtime: { name: runtime, intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: prompts.map((ids, i) => ({ id: `p${i}`, feeds: { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } } })),
  };
}

function cellOf(deviceId: string, modelPath: string, outcome: RunnerOutcome) {
  const variant = { name: 'q8_0', precision: 'int8' as const, file: modelPath, files: [{ path: 'm.gguf', bytes: 1, sha256: 'x' }], diskBytes: 1, sha256: 'x' };
  return cellResult({ deviceId, variant, runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 120_000 });
}

const inBrowser = async (file: string, threads = 1) =>
  cellOf(
    'chromium',
    file,
    await browserDriver.runCell({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads }, generateJob(file, 'wllama'), { timeoutMs: 120_000 }),
  );
const onHost = async (file: string) =>
  cellOf('host', file, await localDriver.runCell({ id: 'host', kind: 'local' }, generateJob(file, 'llama.cpp'), { timeoutMs: 120_000 }));
const tokens = (cell: ReturnType<typeof cellOf>) => cell.outputs.map(({ output }) => (output.kind === 'generate' ? output.tokenIds : []));

describe('browser device: GGUF on wllama', () => {
  it.each(QUANTS)(
    '%s: generates the tokens node-llama-cpp generates on the host, greedily from the same prompt ids, with TTFT and decode timings',
    async (quant) => {
      const [browser, host] = [await inBrowser(files[quant]), await onHost(files[quant])];
      expect(browser.status, JSON.stringify(browser.error)).toBe('ok');
      expect(host.status, JSON.stringify(host.error)).toBe('ok');
      expect(browser.runtime?.name).toBe('wllama');
      expect(browser.runtime?.version).toMatch(/^\d+\.\d+\.\d+ \(llama\.cpp b\d+/);
      expect(tokens(browser)).toHaveLength(PROMPTS.length);
      expect(tokens(browser)[0]).toHaveLength(NEW_TOKENS);
      expect(tokens(browser)).toEqual(tokens(host));
      expect(browser.metrics.ttftMs?.source).toBe('measured');
      expect(browser.metrics.decodeTokenMs?.source).toBe('measured');
      expect(browser.metrics.decodeTokensPerSecond?.source).toBe('measured');
    },
    180_000,
  );

  it('runs the multi-thread build with 2 threads in the cross-origin isolated page, to the same tokens', async () => {
    const browser = await inBrowser(gguf, 2);
    expect(browser.status, JSON.stringify(browser.error)).toBe('ok');
    expect(browser.constraints).toContain('2 threads');
    expect(tokens(browser)).toEqual(tokens(await inBrowser(gguf)));
  }, 180_000);

  it('records a truncated GGUF as a load failure of the cell, naming wllama', async () => {
    const truncated = project.path('truncated.gguf');
    const bytes = await readFile(gguf);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cell = await inBrowser(truncated);
    expect(cell.status).toBe('failed');
    expect(cell.error?.code).toBe('MODEL_LOAD_FAILED');
    expect(cell.error?.message).toMatch(/^wllama \d+\.\d+\.\d+ \(llama\.cpp b\d+[^)]*\) cannot load this model: /);
    // llama.cpp's own words, not wllama's about its reply.
    expect(cell.error?.message).toMatch(/error loading model: tensor '[\w.]+' data is not within the file bounds/);
  }, 120_000);

  it('records a file that is not GGUF as a load failure naming the bad magic', async () => {
    const cell = await inBrowser(await copyOf(join(TRAINED, 'onnx/model.onnx'), 'foreign.gguf'));
    expect(cell.error?.code).toBe('MODEL_LOAD_FAILED');
    expect(cell.error?.message).toMatch(/cannot load this model: .*invalid magic characters/);
  }, 120_000);
});

async function copyOf(file: string, name: string): Promise<string> {
  const copy = project.path(name);
  await writeFile(copy, await readFile(file));
  return copy;
}

describe('browser device: the perplexity task on wllama', () => {
  it("scores the same corpus windows as llama.cpp on the host, every position's distribution one decode at a time", async () => {
    const heldout = (await readFile(fileURLToPath(new URL('../fixtures/corpus/heldout.txt', import.meta.url)), 'utf8')).split('\n').slice(0, 3);
    const corpus = await project.write('perplexity/corpus.txt', heldout.map((line) => `${line}<|endoftext|>`).join(''));
    await project.write('perplexity/devices.yaml', 'devices:\n  - {id: host, kind: local}\n  - {id: chromium, kind: browser}\n');
    const suite = await project.write(
      'perplexity/suite.yaml',
      [
        'name: browser-gguf-perplexity',
        'task: perplexity',
        `dataset: ${JSON.stringify(corpus)}`,
        'warmup: 0',
        'iterations: 8', // one per window: 3 documents make 8 windows of 64
        'repeats: 1',
        'runtime: {intraOpThreads: 1}',
        `perplexity: {context: 64, stride: 32, topK: 16, reference: fp32, tokenizer: ${JSON.stringify(join(TRAINED, 'tokenizer.json'))}}`,
        'variants:',
        `  - {name: fp32, precision: fp32, file: ${JSON.stringify(join(TRAINED, 'onnx/model.onnx'))}, devices: [host]}`,
        `  - {name: q8_0, precision: int8, file: ${JSON.stringify(files.q8_0)}}`,
        '',
      ].join('\n'),
    );
    const plan = await buildPlan({ suiteFile: suite, devicesFile: project.path('perplexity/devices.yaml') });
    const { results } = await executePlan(plan, { outDir: project.path('perplexity/reports'), runId: 'r' });
    const cell = (device: string) => results.cells.find((c) => c.deviceId === device && c.variant.name === 'q8_0')!;
    for (const device of ['host', 'chromium']) expect(cell(device).status, JSON.stringify(cell(device).error)).toBe('ok');
    expect(cell('chromium').runtime?.name).toBe('wllama');
    expect(cell('host').runtime?.name).toBe('llama.cpp');
    const [browser, host] = [cell('chromium').quality!.perplexity!, cell('host').quality!.perplexity!];
    // Not bit-equal: other kernels (WebAssembly SIMD; one decode per token, where llama.cpp in Node.js decodes the
    // window as one batch). Measured: perplexity 62.13 against 62.44, both as close to fp32 (KLD mean 1.07e-3, 1.09e-3).
    expect(Math.abs(browser.value / host.value - 1)).toBeLessThan(0.02);
    expect(Math.abs(browser.divergence!.kld.mean - host.divergence!.kld.mean)).toBeLessThan(3e-4);
    expect(browser.divergence!.sameTop1).toBeGreaterThan(0.95);
  }, 300_000);
});
