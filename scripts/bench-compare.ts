/**
 * compare and report at scale: two synthetic runs (baseline and a candidate
 * 4% slower) of one device x two variants, 10^6 latency samples per cell over
 * five runner processes, with latency budgets, timed through the real CLI
 * (`edgebench compare` and `edgebench report`, each a fresh process: reading,
 * validating, comparing and writing included). Target: under 5 s each.
 *
 *   npm run bench:compare [-- --samples 1000000 --variants 2 --runs 3]
 */
import { execFile } from 'node:child_process';
import { open, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Results } from '../harness/core/results.ts';
import { latencies, results } from '../test/helpers/results.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '1000000' }, variants: { type: 'string', default: '2' }, runs: { type: 'string', default: '3' } },
});
const SAMPLES = Number(values.samples);
const VARIANTS = Number(values.variants);
const REPEATS = 5;
const cli = resolve(fileURLToPath(import.meta.url), '../../bin/edgebench.js');

/** A run whose cells are built small and then given SAMPLES samples each: schema-valid without validating 10^6 objects here. */
function run(runId: string, scale: number): Results {
  const specs = Array.from({ length: VARIANTS }, (_, v) => ({ variant: `variant-${v}`, samples: latencies(REPEATS * 10, 10 + v, v + 1), repeats: REPEATS }));
  const r = results(specs, {
    runId,
    suite: {
      budgets: [
        { metric: 'latency.p50', increase: { relative: 0.05 } },
        { metric: 'latency.p90', max: 1000 },
        { metric: 'latency.p99', increase: { relative: 0.1 } },
      ],
    },
  });
  r.cells.forEach((cell, v) => {
    const samples = latencies(SAMPLES, (10 + v) * scale, 100 * v + (scale === 1 ? 1 : 2));
    const perRepeat = Math.ceil(SAMPLES / REPEATS);
    cell.samples = samples.map((latencyMs, i) => ({ iteration: i % perRepeat, exampleId: `e${i % 10}`, latencyMs, repeat: 1 + Math.floor(i / perRepeat) }));
    const sorted = Float64Array.from(samples).sort();
    const at = (p: number) => sorted[Math.round((SAMPLES - 1) * p)]!;
    const mean = samples.reduce((a, b) => a + b, 0) / SAMPLES;
    const stddev = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (SAMPLES - 1));
    cell.metrics.latencyMs = {
      source: 'measured',
      unit: 'ms',
      method: 'synthetic',
      summary: { n: SAMPLES, mean, stddev, min: sorted[0]!, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1)! },
    };
  });
  return r;
}

/** Writes results.json a cell at a time: the whole run as one JSON string would approach V8's string limit. */
async function writeResults(file: string, r: Results): Promise<number> {
  const out = await open(file, 'w');
  try {
    const { cells: _, ...rest } = r;
    const head = JSON.stringify({ ...rest, cells: [] });
    await out.write(head.slice(0, -2));
    for (const [i, cell] of r.cells.entries()) await out.write(`${i > 0 ? ',' : ''}${JSON.stringify(cell)}`);
    await out.write(']}\n');
  } finally {
    await out.close();
  }
  return (await stat(file)).size;
}

function timeCli(args: string[], cwd: string): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ ms: performance.now() - started, code, stdout, stderr });
    });
  });
}

const dir = await mkdtemp(join(tmpdir(), 'edgebench-bench-compare-'));
try {
  const baselineFile = join(dir, 'baseline.json');
  const candidateFile = join(dir, 'candidate.json');
  const bytes = (await writeResults(baselineFile, run('baseline', 1))) + (await writeResults(candidateFile, run('candidate', 1.04)));
  console.log(
    `${VARIANTS} cells per run, ${SAMPLES.toLocaleString('en')} samples per cell (${REPEATS} runner processes); results files ${(bytes / 2 / 1e6).toFixed(0)} MB each`,
  );
  const commands: [string, string[]][] = [
    ['compare', ['compare', baselineFile, candidateFile, '--markdown', join(dir, 'summary.md'), '--json', join(dir, 'report.json')]],
    ['report', ['report', candidateFile, '--baseline', baselineFile, '--out', join(dir, 'report')]],
  ];
  for (const [name, args] of commands) {
    const times: number[] = [];
    for (let i = 0; i < Number(values.runs); i++) {
      const result = await timeCli(args, dir);
      // compare exits 1 when a budget fails (the candidate is slower on purpose); anything else is a failure of the benchmark.
      if (result.code !== 0 && !(name === 'compare' && result.code === 1)) throw new Error(`edgebench ${name} exited ${result.code}:\n${result.stderr}`);
      times.push(result.ms);
      if (i === 0) console.log(result.stdout.trim().split('\n').slice(-3).join('\n'));
    }
    times.sort((a, b) => a - b);
    console.log(
      `edgebench ${name}: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(2)} s, min ${(times[0]! / 1000).toFixed(2)} s, max ${(times.at(-1)! / 1000).toFixed(2)} s over ${times.length} runs (target < 5 s)`,
    );
  }
} finally {
  if (process.env.KEEP) console.log(dir);
  else await rm(dir, { recursive: true, force: true });
}
