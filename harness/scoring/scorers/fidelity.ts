import type { ExampleOutput } from '../../core/runner-protocol.ts';
import { fidelity } from '../../stats/fidelity.ts';
import { fidelityReference } from '../fidelity-reference.ts';
import { distributionOf } from '../scorer-inputs.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

/**
 * Fidelity to the reference variant on the same device: KL divergence and
 * top-1 agreement of the distributions (and identical generations), or the
 * cosine of the embeddings. The reference itself is not scored against itself.
 */
export const fidelityScorer = defineScorer({
  name: 'fidelity',
  requires: ['referenceOutputs'],
  // perplexity measures fidelity over every scored token against the stored reference instead (scorers/perplexity.ts).
  appliesTo: ({ suite, cell }) => suite.task !== 'perplexity' && cell.variant.name !== fidelityReference(suite),
  score({ referenceOutputs }, { cell }) {
    const { variant, outputs } = referenceOutputs;
    const pairs = cell.outputs.flatMap((o) => {
      const reference = outputs.get(o.exampleId);
      return reference && reference.kind === o.output.kind ? [{ candidate: o.output, reference }] : [];
    });
    if (pairs.length === 0) return unscored(`no example has outputs from both this variant and "${variant}"`);
    const embeddings = pairs.flatMap((p) =>
      p.candidate.kind === 'embed' && p.reference.kind === 'embed' ? [{ candidate: p.candidate.vector, reference: p.reference.vector }] : [],
    );
    if (embeddings.length > 0) {
      const cosines = embeddings.map((p) => cosine(p.candidate, p.reference));
      return scored({
        embeddingCosine: { reference: variant, n: cosines.length, mean: cosines.reduce((a, b) => a + b, 0) / cosines.length, min: Math.min(...cosines) },
      });
    }
    const rows = (key: 'candidate' | 'reference') => pairs.map((p) => distributionOf(p[key])!);
    const result = fidelity(rows('reference'), rows('candidate'), rows('reference')[0]!.length);
    const generations = pairs.flatMap((p) =>
      p.candidate.kind === 'generate' && p.reference.kind === 'generate' ? [sameTokens(p.candidate, p.reference)] : [],
    );
    const sequenceAgreement = generations.length > 0 ? generations.filter(Boolean).length / pairs.length : undefined;
    return scored({ fidelity: { reference: variant, ...result, ...(sequenceAgreement !== undefined ? { sequenceAgreement } : {}) } });
  },
});

function sameTokens(a: Extract<ExampleOutput, { kind: 'generate' }>, b: Extract<ExampleOutput, { kind: 'generate' }>): boolean {
  return a.tokenIds.length === b.tokenIds.length && a.tokenIds.every((id, i) => id === b.tokenIds[i]);
}

/** Cosine similarity of two vectors; 0 when either is all zeros. */
function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! ** 2;
    normB += b[i]! ** 2;
  }
  return normA && normB ? dot / Math.sqrt(normA * normB) : 0;
}
