// The baseline for scripts/bench-overhead.ts: a bare session.run loop, nothing else.
// Reads a runner job (JSON) on stdin, prints the timed latencies in ms as a JSON array.
import * as ort from 'onnxruntime-node';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const typed = { int64: (d) => BigInt64Array.from(d, BigInt), float32: (d) => Float32Array.from(d), int32: (d) => Int32Array.from(d) };
const feeds = job.examples.map((e) =>
  Object.fromEntries(Object.entries(e.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, typed[t.type](t.data), t.dims)])),
);
const { intraOpThreads, graphOptimizationLevel, executionMode } = job.runtime;
const session = await ort.InferenceSession.create(job.modelPath, {
  ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
  graphOptimizationLevel,
  executionMode,
});
const latencies = new Float64Array(job.iterations);
for (let i = 0; i < job.warmup + job.iterations; i++) {
  const start = process.hrtime.bigint();
  await session.run(feeds[i % feeds.length]);
  if (i >= job.warmup) latencies[i - job.warmup] = Number(process.hrtime.bigint() - start) / 1e6;
}
process.stdout.write(JSON.stringify(Array.from(latencies)));
