/**
 * What does the browser device measure, next to the local one? The same MatMul
 * model runs through the local driver (onnxruntime-node), and the browser driver
 * (onnxruntime-web in headless Chromium) without and with CPU throttling, and
 * the same page through a local Appium server and its Chromium driver; each
 * configuration in several fresh runners (processes, browsers, Appium servers).
 *
 *   npm run bench:browser [-- --batch 8 --iterations 200 --repeats 3 --rates 1,4 --threads 1 --no-appium]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AppiumDeviceSpec } from '../harness/core/device-spec.ts';
import { appiumDriver } from '../harness/devices/appium.ts';
import { browserDriver } from '../harness/devices/browser.ts';
import { localDriver } from '../harness/devices/local.ts';
import { floatTensor, model, node, tensorValue, writeModel } from '../harness/onnx/build.ts';
import { onnx } from '../harness/onnx/proto.ts';
import type { RunnerEvent, RunnerJob } from '../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../harness/runner/spawn.ts';
import { percentileOfSorted, sortAscending } from '../harness/stats/percentile.ts';
import { gaussian, seededRandom } from './demo/random.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '8' },
    width: { type: 'string', default: '512' },
    iterations: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '3' },
    rates: { type: 'string', default: '1,4' },
    threads: { type: 'string', default: '1' },
    'no-appium': { type: 'boolean', default: false },
  },
});
const [batch, width, iterations, repeats, threads] = [values.batch, values.width, values.iterations, values.repeats, values.threads].map(Number) as [
  number,
  number,
  number,
  number,
  number,
];
const rates = values.rates.split(',').map(Number);

const scratch = await mkdtemp(join(tmpdir(), 'edgebench-browser-bench-'));
const normal = gaussian(seededRandom(5));
const modelPath = join(scratch, 'matmul.onnx');
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const weight = Float32Array.from({ length: width * width }, () => normal() / Math.sqrt(width));
await writeModel(
  modelPath,
  model(
    {
      name: 'matmul',
      node: [node('MatMul', ['x', 'w'], ['y'])],
      initializer: [floatTensor('w', [width, width], weight)],
      input: [tensorValue('x', FLOAT, [batch, width])],
      output: [tensorValue('y', FLOAT, [batch, width])],
    },
    [{ version: 17 }],
  ),
);
const job: RunnerJob = {
  modelPath,
  task: { kind: 'forward' },
  warmup: 20,
  iterations,
  runtime: { intraOpThreads: threads, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: [{ id: 'x', feeds: { x: { type: 'float32', dims: [batch, width], data: Array.from({ length: batch * width }, () => normal()) } } }],
};

interface Measured {
  p50: number;
  mean: number;
  loadMs: number;
  /** From the start of the cell to the runner's first event, minus the model load: process or browser start-up. */
  startMs: number;
  peakMiB: number;
  modelMiB: number;
}

function measure(outcome: RunnerOutcome, helloAfterMs: number): Measured {
  const failure = outcome.deviceFailure ?? outcome.events.find((e) => e.type === 'error');
  if (failure) throw new Error(`cell failed: ${JSON.stringify(failure)}`);
  const find = <T extends RunnerEvent['type']>(type: T) => outcome.events.find((e): e is Extract<RunnerEvent, { type: T }> => e.type === type)!;
  const latencies = sortAscending(outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : [])));
  const loaded = find('loaded');
  const peak = find('memory').peakRss.bytes;
  // The browser reports hello after the load (it names the renderer the load revealed); the local runner before it.
  const startMs = find('hello').platform === 'browser' ? helloAfterMs - loaded.loadMs : helloAfterMs;
  return {
    p50: percentileOfSorted(latencies, 0.5),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    loadMs: loaded.loadMs,
    startMs,
    peakMiB: peak / 2 ** 20,
    modelMiB: (peak - loaded.rssBeforeLoad!.bytes) / 2 ** 20,
  };
}

async function cell(name: string, runCell: (onEvent: (event: RunnerEvent) => void) => Promise<RunnerOutcome>): Promise<Measured> {
  const start = performance.now();
  let helloAfterMs = 0;
  const outcome = await runCell((event) => {
    if (event.type === 'hello') helloAfterMs = performance.now() - start;
  });
  const measured = measure(outcome, helloAfterMs);
  console.log(
    `  ${name}: p50 ${measured.p50.toFixed(3)} ms, mean ${measured.mean.toFixed(3)} ms, load ${measured.loadMs.toFixed(0)} ms, start ${measured.startMs.toFixed(0)} ms, peak ${measured.peakMiB.toFixed(0)} MiB (model ${measured.modelMiB.toFixed(0)} MiB)`,
  );
  return measured;
}

const configurations: [string, (onEvent: (event: RunnerEvent) => void) => Promise<RunnerOutcome>][] = [
  ['local (onnxruntime-node)', (onEvent) => localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 300_000, onEvent })],
  ...rates.map((rate): [string, (onEvent: (event: RunnerEvent) => void) => Promise<RunnerOutcome>] => [
    `browser ${rate}x, ${threads} thread(s)`,
    (onEvent) => browserDriver.runCell({ id: 'chromium', kind: 'browser', cpuThrottling: rate, threads }, job, { timeoutMs: 300_000, onEvent }),
  ]),
  ...(values['no-appium']
    ? []
    : [
        [
          'appium 1x (local server)',
          (onEvent) => appiumDriver.runCell(AppiumDeviceSpec.parse({ id: 'appium', kind: 'appium', threads }), job, { timeoutMs: 300_000, onEvent }),
        ] as [string, (onEvent: (event: RunnerEvent) => void) => Promise<RunnerOutcome>],
      ]),
];

console.log(
  `MatMul [${batch}, ${width}] x [${width}, ${width}], ${iterations} timed iterations, ${repeats} fresh runner(s) per configuration, configurations interleaved`,
);
const results = new Map<string, Measured[]>(configurations.map(([name]) => [name, []]));
try {
  for (let repeat = 1; repeat <= repeats; repeat++) {
    console.log(`repeat ${repeat}/${repeats}`);
    for (const [name, runCell] of configurations) results.get(name)!.push(await cell(name, runCell));
  }
} finally {
  // The browser device keeps its Chromium between cells until released, as a run does at its end.
  await browserDriver.release!({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads });
  await rm(scratch, { recursive: true, force: true });
}

const median = (values: number[]) => percentileOfSorted(sortAscending(values), 0.5);
console.log(`\nmedians over ${repeats} runner(s):`);
console.log(['configuration'.padEnd(28), 'p50 ms', 'mean ms', 'load ms', 'start ms', 'peak MiB', 'model MiB'].join('  '));
for (const [name, measured] of results) {
  const of = (key: keyof Measured, digits: number) => median(measured.map((m) => m[key])).toFixed(digits);
  console.log(
    [
      name.padEnd(28),
      of('p50', 3).padStart(6),
      of('mean', 3).padStart(7),
      of('loadMs', 0).padStart(7),
      of('startMs', 0).padStart(8),
      of('peakMiB', 0).padStart(8),
      of('modelMiB', 0).padStart(9),
    ].join('  '),
  );
}
const browserRuns = [...results.entries()].filter(([name]) => name.startsWith('browser'));
const appiumRuns = results.get('appium 1x (local server)');
if (appiumRuns && browserRuns[0]) {
  const extra = median(appiumRuns.map((m) => m.startMs)) - median(browserRuns[0][1].map((m) => m.startMs));
  console.log(
    `appium vs ${browserRuns[0][0]}: start-up ${(extra / 1000).toFixed(2)} s longer per cell (an Appium server, session and browser per cell; the browser device keeps its browser), p50 ${(median(appiumRuns.map((m) => m.p50)) / median(browserRuns[0][1].map((m) => m.p50))).toFixed(2)}x`,
  );
}
const unthrottled = browserRuns[0];
for (const [name, measured] of browserRuns.slice(1)) {
  const ratio = (key: 'p50' | 'mean') => (median(measured.map((m) => m[key])) / median(unthrottled![1].map((m) => m[key]))).toFixed(2);
  console.log(`${name} vs ${unthrottled![0]}: p50 ${ratio('p50')}x, mean ${ratio('mean')}x slower`);
}
