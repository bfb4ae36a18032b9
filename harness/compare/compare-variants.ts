import type { CompareOptions, MetricName } from '../core/budget.ts';
import type { Results } from '../core/results.ts';
import { compareRuns } from './compare-runs.ts';
import type { Comparison } from '../core/comparison.ts';

/**
 * The variant the others are measured against within a run: the one fidelity
 * was scored against, else the first fp32 variant, else the first.
 */
export function referenceVariant(results: Results): string | undefined {
  return (
    results.cells.find((c) => c.quality?.fidelity)?.quality?.fidelity?.reference ??
    results.cells.find((c) => c.variant.precision === 'fp32')?.variant.name ??
    results.cells[0]?.variant.name
  );
}

/**
 * Every other variant against the reference variant on the same device, in
 * the same run: what int8 or int4 costs or saves. The same statistics and
 * rules as compare between runs, with the reference's cells standing in as
 * the baseline (different model files are expected here).
 */
export function compareToReference(
  results: Results,
  reference: string,
  scope: {
    /** Only these metrics; every metric when absent. */
    only?: ReadonlySet<MetricName>;
    /** Identity differences allowed besides the variant's own files (an A/B run of ONNX against GGUF also differs in runtime). */
    allowDifferent?: CompareOptions['allowDifferent'];
    options?: CompareOptions;
  } = {},
): Comparison[] {
  const others = results.cells.filter((c) => c.variant.name !== reference);
  const stand = others.flatMap((cell) => {
    const ref = results.cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === reference);
    return ref ? [{ ...ref, variant: { ...ref.variant, name: cell.variant.name } }] : [];
  });
  if (stand.length === 0) return [];
  const compare = scope.options ?? results.suite.compare;
  const allowDifferent = [...new Set([...compare.allowDifferent, 'variant' as const, ...(scope.allowDifferent ?? [])])];
  return compareRuns({ ...results, cells: stand }, { ...results, cells: others }, { ...compare, allowDifferent }, undefined, scope.only);
}
