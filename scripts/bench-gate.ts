/**
 * Is the gate right, and what does it cost? Default settings: compare threshold 3%, alpha 0.01, Holm.
 *
 *   npm run bench:gate [-- --trials 2000 --scale 1]
 *       Replays the gate's decisions (fixed 40 rounds with the signed-rank test; sequential stopping at
 *       default settings, --quick and --rigorous) on A/A rounds recorded on this machine
 *       (scripts/gate/recorded-rounds.json: paired rounds, as the gate runs by default; --noise
 *       scripts/gate/recorded-rounds-separate.json replays rounds of a process per variant, the gate's --no-paired),
 *       each with a random sign, plus the injected slowdown.
 *       --scale multiplies the recorded noise (e.g. 0.3 for a quieter machine). Prints false alarms,
 *       detection of a 5% and a 2% slowdown, and mean rounds.
 *   npm run bench:gate -- --record <file> [--pairs 3 --rounds 40 --turns | --paired]
 *       Records new rounds: real interleaved runs of a model against itself and against a copy doing 5% more work,
 *       each round's A and B processes one after the other, taking turns with --turns (run --ab --turns), or after
 *       the first round both in one process with --paired (run --ab --paired).
 *   npm run bench:gate -- --real <n> [--unpaired]
 *       n real sequential gate runs each of A/A and of the 5%-slower copy, paired as the gate runs them (unless
 *       --unpaired): verdicts, rounds and why they stopped.
 *   npm run bench:gate -- --interleaved [--pairs 100 --rounds 40]   real fixed-length run --ab pairs
 *   npm run bench:gate -- --separate [--pairs 100 --repeats 5]       real separate runs, compared
 *   npm run bench:gate -- --in-process [--pairs 30]
 *       Where the noise of a round comes from: processes that each hold the model twice (A and B) and time them
 *       alternated, iteration by iteration, or in turn; the spread of log(B / A) for each, and of consecutive processes.
 * The model is a chain of identical MatMuls; the slower copy has one more link (21 instead of 20), so its
 * extra cost is a known 1/20 of the compute, not a guess.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { gate } from '../harness/compare/gate.ts';
import { SEQUENTIAL_DEFAULTS, SEQUENTIAL_QUICK, SEQUENTIAL_RIGOROUS } from '../harness/compare/sequential-verdict.ts';
import type { Comparison } from '../harness/core/comparison.ts';
import { mulberry32 } from '../harness/stats/random.ts';
import { wilsonInterval } from '../harness/stats/wilson.ts';
import { BATCH, chainBench, WIDTH } from './gate/chain-runs.ts';
import { readRecordedRounds, RECORDED_METRICS, roundLogRatios, type RecordedRounds, type RecordedRun } from './gate/recorded-rounds.ts';
import { simulateTrial, type Mode, type Round } from './gate/simulate.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '1000' },
    scale: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    noise: { type: 'string', default: 'scripts/gate/recorded-rounds.json' },
    record: { type: 'string' },
    real: { type: 'string' },
    pairs: { type: 'string', default: '100' },
    iterations: { type: 'string' },
    repeats: { type: 'string' },
    layers: { type: 'string', default: '20' },
    interleaved: { type: 'boolean', default: false },
    separate: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    turns: { type: 'boolean', default: false },
    paired: { type: 'boolean', default: false },
    unpaired: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '40' },
  },
});
const layers = Number(values.layers);
const rate = (hits: number, n: number) => {
  const ci = wilsonInterval(hits, n);
  return `${hits}/${n} = ${((hits / n) * 100).toFixed(1)}% (95% CI ${(ci.lower * 100).toFixed(1)}-${(ci.upper * 100).toFixed(1)}%)`;
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

if (values.record) await record(values.record);
else if (values.real) await realSequential(Number(values.real));
else if (values.interleaved || values.separate) await realFixed();
else if (values['in-process']) await inProcess(Number(values.pairs === '100' ? 30 : values.pairs));
else await simulate();

/** The gate's decisions on recorded noise. */
async function simulate(): Promise<void> {
  const recorded = await readRecordedRounds(values.noise);
  const scale = Number(values.scale);
  const trials = Number(values.trials);
  const random = mulberry32(Number(values.seed));
  const pool: Round[] = recorded.runs
    .filter((r) => r.kind === 'a/a')
    .flatMap((r) => r.logRatios['latency.p50'].map((_, i) => Object.fromEntries(RECORDED_METRICS.map((m) => [m, r.logRatios[m][i]! * scale])) as Round));
  // Paired: each run's first round, each variant in a process of its own for memory and load time, is run but not compared.
  const uncounted = recorded.paired ? 1 : 0;
  const spread = (m: 'latency.p50' | 'latency.p90') => {
    const sorted = pool.map((r) => r[m]).sort((x, y) => x - y);
    const mid = sorted[sorted.length >> 1]!;
    const mad = sorted.map((x) => Math.abs(x - mid)).sort((x, y) => x - y)[sorted.length >> 1]!;
    return pct(1.4826 * mad);
  };
  console.log(
    `noise: ${pool.length} A/A rounds${recorded.paired ? ' paired in one process (run --ab --paired; each run also ran a first round of a process per variant, counted in the rounds below)' : ''} recorded ${recorded.recordedAt} on ${recorded.machine} (${recorded.note ?? ''})${scale !== 1 ? `, scaled by ${scale}` : ''}; robust SD of a round's log ratio: p50 ${spread('latency.p50')}, p90 ${spread('latency.p90')}`,
  );
  console.log(`${trials} simulated trials per cell, seed ${values.seed}; regressed = compare's verdict on the trial's rounds\n`);
  const modes: [string, Mode][] = [
    // The rounds the gate runs, the uncounted first one included.
    ['fixed 40 rounds, signed-rank', { kind: 'fixed', rounds: 40 - uncounted }],
    [
      `sequential (default: <= ${SEQUENTIAL_DEFAULTS.maxRounds} rounds, 3% threshold)`,
      { kind: 'sequential', settings: { ...SEQUENTIAL_DEFAULTS, maxRounds: SEQUENTIAL_DEFAULTS.maxRounds - uncounted, threshold: 0.03 } },
    ],
    [
      `sequential --quick (<= ${SEQUENTIAL_QUICK.maxRounds} rounds, 3% threshold)`,
      { kind: 'sequential', settings: { ...SEQUENTIAL_QUICK, maxRounds: SEQUENTIAL_QUICK.maxRounds - uncounted, threshold: 0.03 } },
    ],
    [
      `sequential --rigorous (<= ${SEQUENTIAL_RIGOROUS.maxRounds} rounds, 1% threshold)`,
      { kind: 'sequential', settings: { ...SEQUENTIAL_RIGOROUS, maxRounds: SEQUENTIAL_RIGOROUS.maxRounds - uncounted } },
    ],
  ];
  const rows: string[][] = [];
  for (const [name, mode] of modes) {
    const cells = [0, 0.05, 0.02].map((slowdown) => {
      let p50 = 0;
      let any = 0;
      let rounds = 0;
      const stops = new Map<string, number>();
      for (let t = 0; t < trials; t++) {
        const trial = simulateTrial(pool, slowdown, mode, random);
        if (trial.regressed['latency.p50']) p50++;
        if (trial.regressed['latency.p50'] || trial.regressed['latency.p90']) any++;
        rounds += trial.rounds + uncounted;
        stops.set(trial.stopped, (stops.get(trial.stopped) ?? 0) + 1);
      }
      return { p50, any, meanRounds: rounds / trials, stops };
    });
    const [aa, five, two] = cells as [(typeof cells)[0], (typeof cells)[0], (typeof cells)[0]];
    const stopText = (s: Map<string, number>) => [...s].map(([k, n]) => `${k} ${n}`).join(', ');
    rows.push([
      name,
      rate(aa.any, trials),
      rate(five.p50, trials),
      rate(five.any, trials),
      rate(two.p50, trials),
      rate(two.any, trials),
      `${aa.meanRounds.toFixed(1)} / ${five.meanRounds.toFixed(1)} / ${two.meanRounds.toFixed(1)}`,
      `A/A: ${stopText(aa.stops)}; 5%: ${stopText(five.stops)}`,
    ]);
    console.log(`${name}: done`);
  }
  console.log(
    `\n| mode | false alarms, A/A (p50 or p90 regressed; target <= 1%) | 5% slowdown caught (p50; target >= 95%) | 5% slowdown, gate failed (p50 or p90) | 2% slowdown caught (p50; target >= 80% with --rigorous) | 2% slowdown, gate failed (p50 or p90) | mean rounds A/A / 5% / 2% (target <= 20 at default) | why rounds stopped |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** Records real interleaved rounds: pairs of A/A and A/B(5% slower) runs. */
async function record(file: string): Promise<void> {
  const bench = await chainBench({ layers, iterations: values.iterations });
  const rounds = Number(values.rounds);
  const same = await bench.suiteFor('ab-same', [
    ['a', bench.original],
    ['b', bench.original],
  ]);
  const slowed = await bench.suiteFor('ab-slowed', [
    ['a', bench.original],
    ['b', bench.slower],
  ]);
  const runs: RecordedRun[] = [];
  const loads: number[] = [];
  for (let i = 0; i < Number(values.pairs); i++) {
    for (const [kind, plan] of [
      ['a/a', same],
      ['slower', slowed],
    ] as const) {
      const { results } = await bench.run(plan, { ab: { a: 'a', b: 'b', rounds }, turns: values.turns, paired: values.paired });
      runs.push({ kind, logRatios: roundLogRatios(results) });
      loads.push(loadavg()[0]!);
      console.log(`${kind} run ${runs.length}: load average ${loads.at(-1)!.toFixed(1)}`);
      const recorded: RecordedRounds = {
        recordedAt: new Date().toISOString(),
        machine: `${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}`,
        note: `load average ${Math.min(...loads).toFixed(0)}-${Math.max(...loads).toFixed(0)} while recording`,
        model: bench.describe,
        iterations: Number(values.iterations ?? 100),
        ...(values.paired ? { paired: true } : {}),
        runs,
      };
      await writeFile(file, `${JSON.stringify(recorded, null, 1)}\n`);
    }
  }
  await bench.close();
}

/** Real sequential gate runs at default settings. */
async function realSequential(pairs: number): Promise<void> {
  const bench = await chainBench({ layers, iterations: values.iterations });
  const same = await bench.suiteFor('seq-same', [
    ['a', bench.original],
    ['b', bench.original],
  ]);
  const slowed = await bench.suiteFor('seq-slowed', [
    ['a', bench.original],
    ['b', bench.slower],
  ]);
  for (let i = 0; i < pairs; i++) {
    for (const [kind, plan] of [
      ['A/A', same],
      ['5% slower', slowed],
    ] as const) {
      // As the gate runs by default: paired rounds after the first, unless --unpaired.
      const run = await bench.run(plan, {
        ab: { a: 'a', b: 'b', rounds: SEQUENTIAL_DEFAULTS.maxRounds },
        sequential: SEQUENTIAL_DEFAULTS,
        paired: !values.unpaired,
      });
      const report = gate({ candidate: run });
      const device = run.results.ab!.sequential!.devices[0]!;
      const verdict = (m: string) => report.comparisons.find((c) => c.metric === m);
      console.log(
        `${kind}: gate ${report.status}; p50 ${verdict('latency.p50')?.verdict} (${pct(verdict('latency.p50')?.delta?.relative ?? NaN)}), p90 ${verdict('latency.p90')?.verdict}; ${device.rounds} rounds, ${device.stopped}: ${device.reason}; load average ${loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
  await bench.close();
}

/** The earlier real-run modes: fixed-length interleaved pairs, or separate runs compared. */
async function realFixed(): Promise<void> {
  const pairs = Number(values.pairs);
  const METRICS = ['latency.p50', 'latency.p90', 'latency.p99'];
  const bench = await chainBench({ layers, iterations: values.iterations });
  const repeats = values.repeats ? { repeats: Number(values.repeats) } : {};
  const latencyComparisons = (comparisons: Comparison[]) => new Map(comparisons.filter((c) => METRICS.includes(c.metric)).map((c) => [c.metric, c]));
  const tally = { falseAlarms: new Map(METRICS.map((m) => [m, 0])), detections: new Map(METRICS.map((m) => [m, 0])) };
  const slowdowns: number[] = [];
  const count = (into: Map<string, number>, comparisons: Map<string, Comparison>) => {
    for (const metric of METRICS) if (comparisons.get(metric)?.verdict === 'regressed') into.set(metric, into.get(metric)! + 1);
  };
  if (values.interleaved) {
    const rounds = Number(values.rounds);
    const same = await bench.suiteFor('ab-same', [
      ['a', bench.original],
      ['b', bench.original],
    ]);
    const slowed = await bench.suiteFor('ab-slowed', [
      ['a', bench.original],
      ['b', bench.slower],
    ]);
    for (let i = 0; i < pairs; i++) {
      count(tally.falseAlarms, latencyComparisons(gate({ candidate: await bench.run(same, { ab: { a: 'a', b: 'b', rounds } }) }).comparisons));
      const detected = latencyComparisons(gate({ candidate: await bench.run(slowed, { ab: { a: 'a', b: 'b', rounds } }) }).comparisons);
      count(tally.detections, detected);
      slowdowns.push(detected.get('latency.p50')!.delta!.relative);
      if ((i + 1) % 10 === 0) console.log(`${i + 1}/${pairs} pairs`);
    }
  } else {
    // Separate runs, as CI compares a main-branch run with a pull request's: per pair, A, A' and B.
    const plain = await bench.suiteFor('original', [['chain', bench.original]]);
    const slowed = await bench.suiteFor('slower', [['chain', bench.slower]]);
    for (let i = 0; i < pairs; i++) {
      const a = await bench.run(plain, repeats);
      const again = await bench.run(plain, repeats);
      const b = await bench.run(slowed, repeats);
      count(tally.falseAlarms, latencyComparisons(gate({ baseline: a, candidate: again }).comparisons));
      const detected = latencyComparisons(gate({ baseline: a, candidate: b }).comparisons);
      count(tally.detections, detected);
      slowdowns.push(detected.get('latency.p50')!.delta!.relative);
      if ((i + 1) % 10 === 0) console.log(`${i + 1}/${pairs} pairs`);
    }
  }
  const sorted = [...slowdowns].sort((x, y) => x - y);
  const mode = values.interleaved
    ? `interleaved A/B (run --ab, ${values.rounds} rounds)`
    : `separate runs, ${values.repeats ?? 'the suite default of 5'} runner processes per run`;
  console.log(
    `\n${mode}; ${values.iterations ?? 'the suite default of 100'} timed iterations per process; default compare settings (threshold 3%, alpha 0.01, Holm)`,
  );
  console.log(
    `injected slowdown: ${bench.describe}; measured p50 change median ${pct(sorted[Math.floor(sorted.length / 2)]!)}, range ${pct(sorted[0]!)} to ${pct(sorted.at(-1)!)}`,
  );
  for (const metric of METRICS)
    console.log(`${metric}: false alarms (A/A) ${rate(tally.falseAlarms.get(metric)!, pairs)}; detected ${rate(tally.detections.get(metric)!, pairs)}`);
  await bench.close();
}

/** Robust SD (1.4826 x the median absolute deviation) of log ratios, in percent. */
function robustSd(values: number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted[sorted.length >> 1]!;
  const mad = sorted.map((x) => Math.abs(x - mid)).sort((x, y) => x - y)[sorted.length >> 1]!;
  return pct(1.4826 * mad);
}

/**
 * Alternating A and B iteration by iteration inside one process, against the same iterations in turn and against
 * consecutive processes: which of the round's noise a finer interleave would cancel.
 */
async function inProcess(processes: number): Promise<void> {
  const bench = await chainBench({ layers });
  const { execa } = await import('execa');
  const rows: { alternated: number; inTurn: number; p50A: number }[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      const child = await execa(process.execPath, ['--import', 'tsx', 'scripts/gate/in-process-child.ts', bench.original, String(BATCH), String(WIDTH)]);
      rows.push(JSON.parse(child.stdout) as (typeof rows)[0]);
    }
  } finally {
    await bench.close();
  }
  const consecutive = rows.slice(1).map((r, i) => Math.log(r.p50A / rows[i]!.p50A));
  console.log(
    `${processes} processes, each one model (${bench.describe.split(' vs ')[1]}) loaded twice, 100 timed iterations each; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log('| log(p50 B / p50 A), A and B the same model | robust SD |');
  console.log('| --- | --- |');
  console.log(`| one process, iterations alternated A B A B | ${robustSd(rows.map((r) => r.alternated))} |`);
  console.log(`| one process, A's iterations then B's | ${robustSd(rows.map((r) => r.inTurn))} |`);
  console.log(`| consecutive processes (as a round of run --ab) | ${robustSd(consecutive)} |`);
}
