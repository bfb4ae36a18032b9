import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { RunPlan } from '../plan/plan.ts';

/** One side of `edgebench gate`: a model (a variant of the suite) to run now, or a run stored earlier. */
export type GateSide = { kind: 'model'; variant: string } | { kind: 'run'; path: string };

/**
 * What --baseline or --candidate names: a results.json or run folder is a stored run; a variant name of the
 * suite, or the model file of one, is a model to run.
 */
export function gateSide(flag: '--baseline' | '--candidate', given: string, plan: RunPlan): GateSide {
  const byName = plan.variants.find((v) => v.variant.name === given);
  if (byName) return { kind: 'model', variant: byName.variant.name };
  const isFolder = existsSync(given) && statSync(given).isDirectory();
  if ((isFolder && existsSync(join(given, 'results.json'))) || (!isFolder && given.endsWith('.json') && existsSync(given))) return { kind: 'run', path: given };
  const byFile = plan.variants.find((v) => resolve(v.modelPath) === resolve(given) || (isFolder && resolve(v.modelPath).startsWith(`${resolve(given)}/`)));
  if (byFile) return { kind: 'model', variant: byFile.variant.name };
  throw new ConfigError(
    'command line',
    flag,
    `${JSON.stringify(given)} is neither a variant of suite "${plan.suite.name}", nor one of its model files, nor a run folder or results.json`,
    `name a variant (${plan.variants.map((v) => v.variant.name).join(', ')}), or a run folder edgebench run wrote (reports/<run-id>)`,
  );
}
