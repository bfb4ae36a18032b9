import type { MetricName } from '../core/budget.ts';
import type { BudgetResult, Comparison } from '../core/comparison.ts';

/**
 * One check per comparison of a failOn metric: it fails (level error) when the verdict is regressed. These are
 * budget results like any other, so JUnit, the Markdown, the annotations and the exit code show them.
 */
export function failOnChecks(metrics: readonly MetricName[], comparisons: readonly Comparison[], source: { explicit: boolean }): BudgetResult[] {
  const gated = new Set<string>(metrics);
  const name = source.explicit ? 'gate.failOn' : 'default gate';
  return comparisons
    .filter((c) => gated.has(c.metric) && c.verdict !== 'unavailable')
    .map((c) => {
      const passed = c.verdict !== 'regressed';
      const change = c.delta ? `${c.delta.relative >= 0 ? '+' : ''}${(c.delta.relative * 100).toFixed(1)}%` : 'no change measured';
      return {
        name: `${name}: ${c.metric} not regressed`,
        level: 'error' as const,
        metric: c.metric,
        deviceId: c.deviceId,
        variant: c.variant,
        passed,
        expected: FAIL_ON_EXPECTED,
        actual: c.delta?.relative ?? null,
        values: { verdict: c.verdict, ...(c.delta ? { relativeChange: c.delta.relative } : {}) },
        message: `${c.metric} ${passed ? c.verdict : 'regressed'} (${change}): ${c.rule}`,
      };
    });
}

const FAIL_ON_EXPECTED = 'verdict not regressed';

/** A check the default gate or gate.failOn added: its failure is a regressed verdict, not a budget the user wrote. */
export const isFailOnCheck = (b: Pick<BudgetResult, 'expected'>) => b.expected === FAIL_ON_EXPECTED;
