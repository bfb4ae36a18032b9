/**
 * One process of `bench:gate -- --in-process`: two onnxruntime sessions of the same model, A and B. Prints one JSON
 * line: log(p50 B / p50 A) with their iterations alternated (A B A B ...), the same with A's iterations all before
 * B's (as two runner processes in a row would run them, in one process), and A's p50.
 */
import * as ort from 'onnxruntime-node';
import { percentileOfSorted, sortAscending } from '../../harness/stats/percentile.ts';

const [file, inputName, batch, width] = [process.argv[2]!, 'x', Number(process.argv[3]), Number(process.argv[4])];
const ITERATIONS = 100;
const options = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
const a = await ort.InferenceSession.create(file, options);
const b = await ort.InferenceSession.create(file, options);
const feeds = {
  [inputName]: new ort.Tensor(
    'float32',
    Float32Array.from({ length: batch * width }, (_, i) => Math.sin(i)),
    [batch, width],
  ),
};
const timed = async (session: ort.InferenceSession) => {
  const start = performance.now();
  await session.run(feeds);
  return performance.now() - start;
};
const p50 = (xs: number[]) => percentileOfSorted(sortAscending(xs), 0.5);
for (let i = 0; i < 20; i++) {
  await timed(a);
  await timed(b);
}
const [alternatedA, alternatedB] = [[] as number[], [] as number[]];
for (let i = 0; i < ITERATIONS; i++) {
  alternatedA.push(await timed(a));
  alternatedB.push(await timed(b));
}
const [inTurnA, inTurnB] = [[] as number[], [] as number[]];
for (let i = 0; i < ITERATIONS; i++) inTurnA.push(await timed(a));
for (let i = 0; i < ITERATIONS; i++) inTurnB.push(await timed(b));
console.log(
  JSON.stringify({
    alternated: Math.log(p50(alternatedB) / p50(alternatedA)),
    inTurn: Math.log(p50(inTurnB) / p50(inTurnA)),
    p50A: p50(alternatedA),
  }),
);
