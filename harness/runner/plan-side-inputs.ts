import type { Metafile } from 'esbuild';

/**
 * Code that only plans a run (reads suites, datasets, tokenizers): it must not
 * end up in a runner bundle, which is copied to devices and loaded in the
 * measured process. The tasks' plan sides sit beside their runner sides, so
 * the bundles check this rather than trust the import graph.
 */
const PLAN_SIDE = [
  /(^|\/)harness\/plan\//,
  /(^|\/)harness\/tasks\/[^/]+\.plan\.ts$/,
  /(^|\/)harness\/tasks\/(plan-registry|feeds|tokenizer|top-k-reference|reference-distributions|perplexity-windows)\.ts$/,
  /(^|\/)node_modules\/@huggingface\/tokenizers\//,
];

/** The plan-side files among a bundle's inputs; empty for a sound runner bundle. */
export function planSideInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((input) => PLAN_SIDE.some((pattern) => pattern.test(input)));
}

export function assertNoPlanSide(bundle: string, metafile: Metafile): void {
  const found = planSideInputs(metafile);
  if (found.length > 0)
    throw new Error(`the ${bundle} bundle holds plan-side code: ${found.join(', ')} (a runner-side file imports it; see docs/extending/task.md)`);
}
