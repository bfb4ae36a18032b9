import type { ScorerName } from '../core/quality.ts';
import type { Scorer } from './scorer.ts';
import { agreementScorer } from './scorers/agreement.ts';
import { fidelityScorer } from './scorers/fidelity.ts';
import { hallucinationScorer } from './scorers/hallucination.ts';
import { outOfDomainScorer } from './scorers/out-of-domain.ts';
import { perplexityScorer } from './scorers/perplexity.ts';
import { routerScorer } from './scorers/router.ts';
import { slotsScorer } from './scorers/slots.ts';

/** Every scorer, by name; each cell is offered to each in this order. */
export const SCORERS = {
  agreement: agreementScorer,
  slots: slotsScorer,
  hallucination: hallucinationScorer,
  outOfDomain: outOfDomainScorer,
  fidelity: fidelityScorer,
  perplexity: perplexityScorer,
  router: routerScorer,
} as const satisfies Record<ScorerName, Scorer>;
