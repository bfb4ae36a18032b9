import type { KldMeasurement } from '../core/quantize-sensitivity.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { fidelity } from '../stats/fidelity.ts';
import { exampleLogits, type ExampleLogits } from './next-token-logits.ts';

/** Calibration examples with the fp32 model's logits on them, computed once and compared against every variant. */
export interface KldSet {
  examples: RunnerExample[];
  reference: ExampleLogits;
  measuredOn: KldMeasurement;
}

export async function kldSet(sourceFile: string, examples: RunnerExample[], about: { source: string; sha256?: string }): Promise<KldSet> {
  const reference = await exampleLogits(sourceFile, examples);
  const distributions = reference.rows.reduce((sum, row) => sum + row.length / reference.width, 0);
  return {
    examples,
    reference,
    measuredOn: { source: about.source, ...(about.sha256 ? { sha256: about.sha256 } : {}), examples: examples.length, distributions },
  };
}

/** Mean KL(fp32 || variant) and same-top-1 share over every distribution of the set, with real onnxruntime sessions. */
export async function measureKld(modelFile: string, set: KldSet): Promise<{ kld: number; top1: number }> {
  const candidate = await exampleLogits(modelFile, set.examples);
  const f = fidelity(set.reference.rows, candidate.rows, set.reference.width);
  return { kld: f.meanKlDivergence, top1: f.top1Agreement };
}
