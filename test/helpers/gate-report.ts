import type { BudgetResult } from '../../harness/core/comparison.ts';

/** A passing budget check; tests override the fields they are about. */
export const budgetResult = (fields: Partial<BudgetResult>): BudgetResult => ({
  name: 'p90 latency',
  level: 'error',
  metric: 'latency.p90',
  deviceId: 'pixel-7',
  variant: 'int8',
  passed: true,
  expected: 'p90 <= 40 ms',
  actual: 31.234,
  values: { threshold: 40 },
  message: 'p90 31.2 ms is within 40 ms',
  ...fields,
});
