import type { WorkloadMetricName } from '../core/workload.ts';
import { parseWorkloadTestId, workloadTestId, type WorkloadTest } from '../core/workload.ts';
import type { CellResult } from '../core/results.ts';
import { perRepeatPercentile, reading, sampled, valuesByRepeat, type MetricDefinition, type SampleField } from './metrics.ts';

const ITL = /^itl@d(\d+)\.(p50|p90|p99)$/;
const QUANTILE = { p50: 0.5, p90: 0.9, p99: 0.99 } as const;

/** The tg test of a cell at a depth: inter-token latency is read from its decode steps. */
const tgAtDepth = (cell: CellResult, depth: number) =>
  Object.entries(cell.metrics.workload ?? {}).find(([, test]) => test.kind === 'tg' && test.depthTokens === depth);

/** Sample pickers per test id, kept so compare's per-repeat columns (cached by picker) are sorted once. */
const pickers = new Map<string, SampleField>();
function stepsOf(id: string, test: WorkloadTest): SampleField {
  const key = `${id}`;
  let pick = pickers.get(key);
  if (!pick) {
    pick = test.kind === 'pp' ? (s) => (s.exampleId === id ? s.latencyMs : undefined) : (s) => (s.exampleId === id ? s.decodeMs : undefined);
    pickers.set(key, pick);
  }
  return pick;
}

/** Tokens/s of a test in each repeat: its tokens over the summed time of its timed spans. */
function perRepeatTokensPerSecond(cell: CellResult, id: string, test: WorkloadTest) {
  const spans = valuesByRepeat(cell, stepsOf(id, test));
  const values = new Map(
    [...spans].flatMap(([repeat, ms]) => {
      const total = ms.reduce((a, b) => a + b, 0);
      const tokens = test.kind === 'pp' ? ms.length * test.timedTokens : ms.length;
      return total > 0 ? [[repeat, (tokens * 1000) / total] as const] : [];
    }),
  );
  return values.size > 1 ? values : undefined;
}

/**
 * pp<P> and tg<G>@d<D>: the test's tokens/s (higher is better), compared per runner process like
 * decodeTokensPerSecond. itl@d<D>.p50|p90|p99: a percentile of the decode steps of the tg test at depth D
 * (lower is better), compared on its raw steps like decodeToken.p50.
 */
export function workloadMetricDefinition(name: WorkloadMetricName): MetricDefinition {
  const itl = ITL.exec(name);
  if (itl) {
    const depth = Number(itl[1]);
    const p = itl[2] as keyof typeof QUANTILE;
    return {
      unit: 'ms',
      higherIsBetter: false,
      kind: p === 'p50' ? 'sampled-median' : 'sampled-tail',
      read(cell) {
        const found = tgAtDepth(cell, depth);
        if (!found || found[1].stepMs.source !== 'measured') return undefined;
        const [id, test] = found;
        const pick = stepsOf(id, test);
        return reading(found[1].stepMs.summary[p], { samples: () => sampled(cell, pick), perRepeat: () => perRepeatPercentile(cell, QUANTILE[p], pick) });
      },
      unavailable: (cell) => {
        const step = tgAtDepth(cell, depth)?.[1].stepMs;
        return step?.source === 'unavailable' ? step.reason : undefined;
      },
    };
  }
  const test = parseWorkloadTestId(name)!;
  const id = workloadTestId(test);
  return {
    unit: 'tokens/s',
    higherIsBetter: true,
    kind: 'single',
    read(cell) {
      const metric = cell.metrics.workload?.[id]?.tokensPerSecond;
      if (!metric || metric.source === 'unavailable') return undefined;
      return reading(metric.value, { perRepeat: () => perRepeatTokensPerSecond(cell, id, test) });
    },
    unavailable: (cell) => {
      const metric = cell.metrics.workload?.[id]?.tokensPerSecond;
      return metric?.source === 'unavailable' ? metric.reason : undefined;
    },
  };
}

/** The workload metric names the cells hold: each test's tokens/s, and the inter-token latency percentiles of each tg test. */
export function workloadMetricNames(cells: readonly CellResult[]): WorkloadMetricName[] {
  const names = cells.flatMap((cell) =>
    Object.values(cell.metrics.workload ?? {}).flatMap((test): WorkloadMetricName[] => [
      workloadTestId(test) as WorkloadMetricName,
      ...(test.kind === 'tg' ? (['p50', 'p90', 'p99'] as const).map((p): WorkloadMetricName => `itl@d${test.depthTokens}.${p}`) : []),
    ]),
  );
  return names.filter((name, i) => names.indexOf(name) === i);
}
