// Perplexity and KL divergence of a perplexity suite's variants, in this process, and how far the stored top-k KL
// sits below the full-vocabulary KL. Usage: npm run bench:perplexity [-- suites/perplexity.yaml]
import type { TaskSpec } from '../harness/core/runner-protocol.ts';
import { buildPlan, type RunPlan } from '../harness/plan/plan.ts';
import { onnxruntimeNode } from '../harness/runtimes/onnxruntime-node.ts';
import { tensorFromSpec } from '../harness/runtimes/tensor.ts';
import { perplexityStatistics, type WindowTokens } from '../harness/stats/perplexity-statistics.ts';
import { fullKlDivergence } from '../harness/stats/token-divergence.ts';
import { perplexityTask, positionLogProbs, windowPass } from '../harness/tasks/perplexity.run.ts';
import { readModelConfig } from '../harness/tasks/model-config.ts';

const suiteFile = process.argv[2] ?? 'suites/perplexity.yaml';
const plan = await buildPlan({ suiteFile, devicesFile: 'devices.yaml' });
const reference = plan.task.storedReference!;

/** Every scored position's full log-softmax of a variant, window by window. */
async function fullRows(p: RunPlan, name: string): Promise<Float64Array[]> {
  const variant = p.variants.find((v) => v.variant.name === name)!;
  const session = await onnxruntimeNode.load({ location: variant.modelPath }, p.suite.runtime);
  const pass = windowPass(session, readModelConfig(variant.modelPath).cache);
  const rows: Float64Array[] = [];
  for (const example of variant.examples) {
    const tokens = example.feeds.input_ids!.data;
    const scoredFrom = example.feeds['perplexity.scored_from']!.data[0]!;
    const { logits } = await pass.run(pass.feeds(tokens));
    const at = positionLogProbs(logits, tokens.length);
    for (let t = scoredFrom; t < tokens.length; t++) rows.push(at(t - 1));
  }
  await session.release();
  return rows;
}

async function windows(p: RunPlan, name: string): Promise<WindowTokens[]> {
  const variant = p.variants.find((v) => v.variant.name === name)!;
  const session = await onnxruntimeNode.load({ location: variant.modelPath }, p.suite.runtime);
  const task = perplexityTask(session, p.task.specFor!(variant) as Extract<TaskSpec, { kind: 'perplexity' }>);
  const out: WindowTokens[] = [];
  for (const example of variant.examples) {
    const feeds = session.prepare(Object.fromEntries(Object.entries(example.feeds).map(([n, s]) => [n, tensorFromSpec(s)])));
    const { output } = await task.iterate({ id: example.id, feeds }, true);
    if (output?.kind === 'perplexity') out.push(output);
  }
  await session.release();
  return out;
}

const referenceRows = await fullRows(plan, reference.reference);
console.log(
  `${suiteFile}: ${plan.variants[0]!.examples.length} windows; reference ${reference.reference}, top ${reference.topK} + tail (mean tail mass ${reference.meanTailMass.toFixed(3)}) in ${reference.file}`,
);
console.log('variant  MiB    perplexity [95% CI]          KLD mean  KLD median  KLD p99   KLD max   same top-1  mean Δp   RMS Δp   full-vocab KLD mean');
for (const variant of plan.variants) {
  const score = perplexityStatistics(await windows(plan, variant.variant.name), reference);
  const d = score.divergence!;
  const candidateRows = await fullRows(plan, variant.variant.name);
  const full = referenceRows.reduce((sum, row, i) => sum + fullKlDivergence(row, candidateRows[i]!), 0) / referenceRows.length;
  const f = (x: number) => x.toExponential(3).padEnd(9);
  console.log(
    [
      variant.variant.name.padEnd(7),
      (variant.variant.diskBytes / 2 ** 20).toFixed(2).padEnd(6),
      `${score.value.toFixed(3)} [${score.ci95.lower.toFixed(3)}, ${score.ci95.upper.toFixed(3)}]`.padEnd(28),
      f(d.kld.mean),
      f(d.kld.median).padEnd(11),
      f(d.kld.p99),
      f(d.kld.max),
      `${(d.sameTop1 * 100).toFixed(2)}%`.padEnd(11),
      `${(d.deltaP.mean * 100).toFixed(3)}%`.padEnd(9),
      `${(d.deltaP.rms * 100).toFixed(3)}%`.padEnd(8),
      f(full),
    ].join(' '),
  );
}
