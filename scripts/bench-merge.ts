/**
 * Merging shards at scale: a synthetic run of 1,000 device x variant cells
 * (100 devices x 10 variants, 300 samples each in 3 runner processes), split
 * 8 ways by the shard partition, written as 8 results files, then read back
 * and merged by the real command path (read, validate, merge, write).
 * Prints the time of each step (target: merge <= 5 s).
 *
 *   npm run bench:merge [-- --devices 100 --variants 10 --shards 8]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeviceSpec } from '../harness/core/device-spec.ts';
import { devicesOfShard } from '../harness/plan/shard.ts';
import type { RunPlan } from '../harness/plan/plan.ts';
import { mergeResults } from '../harness/results/merge.ts';
import { readResults } from '../harness/results/read-results.ts';
import { writeResults } from '../harness/results/write-results.ts';
import { latencies, results } from '../test/helpers/results.ts';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '100' }, variants: { type: 'string', default: '10' }, shards: { type: 'string', default: '8' } },
});
const [deviceCount, variantCount, total] = [values.devices, values.variants, values.shards].map(Number) as [number, number, number];
const scratch = await mkdtemp(join(tmpdir(), 'edgebench-merge-bench-'));
const ms = (start: number) => `${(performance.now() - start).toFixed(0)} ms`;

let start = performance.now();
const ids = Array.from({ length: deviceCount }, (_, d) => `device-${d}`);
const whole = results(
  ids.flatMap((deviceId, d) =>
    Array.from({ length: variantCount }, (_, v) => ({
      deviceId,
      variant: `variant-${v}`,
      samples: latencies(300, 1 + v * 0.2, d * variantCount + v + 1),
      repeats: 3,
    })),
  ),
  { runId: 'whole' },
);
whole.devices = ids.map((id) => ({ ...whole.devices[0]!, id }));
console.log(`built ${whole.cells.length} cells: ${ms(start)}`);

start = performance.now();
// The same partition run --shard uses, over local devices of equal cost.
const plan = {
  suite: { warmup: 10, iterations: 300 },
  variants: Array.from({ length: variantCount }, () => ({ variant: { diskBytes: 1 } })),
  devices: ids.map((id) => ({ id, kind: 'local' }) as DeviceSpec),
} as unknown as RunPlan;
const files: string[] = [];
for (let index = 1; index <= total; index++) {
  const mine = new Set(devicesOfShard(plan, { index, total }, 3).map((d) => d.id));
  const shard = {
    ...whole,
    runId: `shard-${index}`,
    shard: { index, total, devices: ids },
    devices: whole.devices.filter((d) => mine.has(d.id)),
    cells: whole.cells.filter((c) => mine.has(c.deviceId)),
  };
  const file = join(scratch, `shard-${index}`, 'results.json');
  await writeResults(file, shard);
  files.push(file);
}
console.log(`wrote ${total} shard files: ${ms(start)}`);

start = performance.now();
const shards = await Promise.all(files.map(async (file) => (await readResults(file)).results));
const read = performance.now() - start;
const mergeStart = performance.now();
const merged = mergeResults(shards, 'merged');
const combined = performance.now() - mergeStart;
const writeStart = performance.now();
await writeResults(join(scratch, 'merged', 'results.json'), merged);
const written = performance.now() - writeStart;
console.log(
  `merge of ${total} shards, ${merged.cells.length} cells, ${merged.cells.reduce((n, c) => n + c.samples.length, 0)} samples: read and validate ${read.toFixed(0)} ms, merge ${combined.toFixed(0)} ms, write ${written.toFixed(0)} ms, total ${(read + combined + written).toFixed(0)} ms (target <= 5000 ms)`,
);
if (JSON.stringify(merged.cells) !== JSON.stringify(whole.cells)) throw new Error('the merged cells differ from the unsharded run');
console.log('merged cells equal the unsharded run: yes');
await rm(scratch, { recursive: true, force: true });
