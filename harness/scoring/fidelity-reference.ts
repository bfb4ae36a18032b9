import type { Suite } from '../core/suite.ts';

/** The variant fidelity is measured against: scoring.fidelityReference, else the first fp32 variant. */
export function fidelityReference(suite: Suite): string | undefined {
  return suite.scoring.fidelityReference ?? suite.variants.find((v) => v.precision === 'fp32')?.name;
}
