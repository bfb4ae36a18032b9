/**
 * What `npm run demo` costs, and where the time goes.
 *
 *   npm run bench:demo
 *       Runs `npm run demo` as the README has it (build the demo models, then the classifier and the decoder
 *       suites) and prints its wall time against the 90 s target, then, from each suite's results.json: the
 *       suite's wall time, and per device the runner processes, their summed wall time and model load time,
 *       and why the cells stopped adding processes (adaptive repeats).
 *   npm run bench:demo -- --results <results.json>...
 *       The same breakdown for runs already made, without running anything.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { Results } from '../harness/core/results.ts';
import { describeRepeatStops } from '../harness/execute/repeat-stop.ts';

const TARGET_SECONDS = 90;

const { values } = parseArgs({ options: { results: { type: 'string', multiple: true } } });

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

async function breakdown(file: string): Promise<void> {
  const results = Results.parse(JSON.parse(await readFile(file, 'utf8')));
  const wall = results.finishedAt ? `${seconds(results.startedAt, results.finishedAt).toFixed(1)} s wall` : 'unfinished';
  console.log(`\n${results.suite.name} (${file}): ${wall}`);
  console.log('device          processes  process s  load s  cells stopped');
  const devices = [...new Set(results.cells.map((c) => c.deviceId))];
  for (const device of devices) {
    const cells = results.cells.filter((c) => c.deviceId === device);
    const processes = cells.flatMap((c) => c.repeats ?? []);
    const wall = processes.reduce((sum, p) => sum + seconds(p.startedAt, p.finishedAt), 0);
    const load = processes.reduce((sum, p) => sum + (p.loadMs ?? 0) / 1000, 0);
    const reasons = new Map<string, number>();
    for (const c of cells) if (c.repeatStop) reasons.set(c.repeatStop.reason, (reasons.get(c.repeatStop.reason) ?? 0) + 1);
    const stopped = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
    console.log(`${device.padEnd(15)} ${String(processes.length).padStart(9)}  ${wall.toFixed(1).padStart(9)}  ${load.toFixed(1).padStart(6)}  ${stopped}`);
  }
  const repeats = describeRepeatStops(results.cells);
  if (repeats) console.log(repeats);
}

if (values.results?.length) {
  for (const file of values.results) await breakdown(file);
} else {
  const started = performance.now();
  // The demo's own output goes to the terminal as it runs, and is kept to find its results files.
  const demo = await execa('npm', ['run', 'demo'], { reject: false, stdout: ['pipe', 'inherit'], stderr: ['pipe', 'inherit'] });
  const wall = (performance.now() - started) / 1000;
  if (demo.exitCode !== 0) throw new Error(`npm run demo exited ${demo.exitCode}`);
  console.log(`npm run demo: ${wall.toFixed(1)} s wall (target <= ${TARGET_SECONDS} s: ${wall <= TARGET_SECONDS ? 'met' : 'not met'})`);
  // Each run prints its results file last: "results: reports/<run-id>/results.json".
  const files = [...String(demo.stdout).matchAll(/^results: (\S+results\.json)$/gm)].map((m) => m[1]!);
  for (const file of files) await breakdown(file);
}
