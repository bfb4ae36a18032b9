import { percentileOfSorted, sortAscending } from '../../../stats/percentile.ts';
import { baseConfig, CHART_WIDTH, type ChartBuilder } from './chart.ts';
import { labelledCells, rounded } from './cells.ts';

/** Points of each cell's CDF: evenly spaced quantiles keep the curve's shape at a fixed size, whatever the sample count. */
const CDF_POINTS = 50;
/** The CDF stops here, so that a few outliers do not squash the curves into one corner. */
const CDF_TOP = 0.99;

/**
 * Latency distributions per device x variant: a box (quartiles, whiskers at p1
 * and p99, a tick at the median) and the empirical CDF with p50, p90 and p99 marked.
 */
export const latencyCharts: ChartBuilder = {
  section: 'latency',
  missing: 'No cell measured latency.',
  build(report) {
    const cells = labelledCells(report).filter((c) => c.cell.status === 'ok' && c.cell.samples.length > 0);
    if (cells.length === 0) return [];
    // Sorted once per cell: the box and the curve are read from all samples, however many, and drawn from a few quantiles.
    const sortedOf = new Map(cells.map(({ cell }) => [cell, sortAscending(cell.samples.map((s) => s.latencyMs))]));
    const boxes = cells.map(({ device, variant, cell }) => {
      const sorted = sortedOf.get(cell)!;
      const q = (p: number) => percentileOfSorted(sorted, p);
      return {
        device,
        variant,
        p1: rounded(q(0.01)),
        q1: rounded(q(0.25)),
        median: rounded(q(0.5)),
        q3: rounded(q(0.75)),
        p99: rounded(q(0.99)),
        n: sorted.length,
      };
    });
    // One row per cell with the curve as arrays (flattened by vega-lite in the page): the page stays small at hundreds of cells.
    const shares = Array.from({ length: CDF_POINTS }, (_, i) => rounded((i / (CDF_POINTS - 1)) * CDF_TOP));
    const cdf = cells.flatMap(({ device, variant, cell }) => {
      const sorted = sortedOf.get(cell)!;
      const curve = { kind: 'cdf', device, variant, ms: shares.map((share) => rounded(percentileOfSorted(sorted, share))), share: shares };
      const marks = [0.5, 0.9, 0.99].map((p) => ({
        kind: 'mark',
        device,
        variant,
        ms: [rounded(percentileOfSorted(sorted, p))],
        share: [p],
        label: `p${Math.round(p * 100)}`,
      }));
      return [curve, ...marks];
    });
    const x = { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { zero: false } } as const;
    return [
      {
        id: 'latency-box',
        title: 'Latency distribution',
        description:
          'Box: first to third quartile; whiskers: p1 to p99; tick: median. All timed iterations of every runner process of the cell. Each device has its own latency axis.',
        spec: {
          ...baseConfig,
          data: { values: boxes },
          facet: { row: { field: 'device', type: 'nominal', title: null } },
          // Each device its own latency axis: a 0.03 ms host beside a 10 ms board would leave the host a dot.
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: CHART_WIDTH,
            layer: [
              {
                mark: { type: 'rule' },
                encoding: {
                  y: { field: 'variant', type: 'nominal', title: null },
                  x: { field: 'p1', type: 'quantitative', title: 'latency (ms)', scale: { zero: false } },
                  x2: { field: 'p99' },
                },
              },
              {
                mark: { type: 'bar', size: 14 },
                encoding: {
                  y: { field: 'variant', type: 'nominal' },
                  x: { field: 'q1', type: 'quantitative' },
                  x2: { field: 'q3' },
                  color: { field: 'variant', type: 'nominal', legend: null },
                },
              },
              {
                mark: { type: 'tick', color: 'white', size: 14, thickness: 2 },
                encoding: {
                  y: { field: 'variant', type: 'nominal' },
                  x: { field: 'median', type: 'quantitative' },
                  tooltip: [
                    { field: 'variant' },
                    { field: 'n', title: 'samples' },
                    { field: 'p1', format: '.3f' },
                    { field: 'q1', format: '.3f' },
                    { field: 'median', format: '.3f' },
                    { field: 'q3', format: '.3f' },
                    { field: 'p99', format: '.3f' },
                  ],
                },
              },
            ],
          },
        },
      },
      {
        id: 'latency-cdf',
        title: 'Latency CDF',
        description: `Share of iterations at or below each latency, up to the 99th percentile, with p50, p90 and p99 marked. Each curve is drawn through ${CDF_POINTS} evenly spaced quantiles of all the cell's samples; the marked percentiles are exact. Each device has its own latency axis.`,
        spec: {
          ...baseConfig,
          data: { values: cdf },
          transform: [{ flatten: ['ms', 'share'] }],
          facet: { row: { field: 'device', type: 'nominal', title: null } },
          // Each device its own latency axis: a 0.03 ms host beside a 10 ms board would leave the host a dot.
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: CHART_WIDTH,
            height: 220,
            layer: [
              {
                transform: [{ filter: "datum.kind === 'cdf'" }],
                mark: { type: 'line', interpolate: 'step-after' },
                encoding: {
                  x,
                  y: { field: 'share', type: 'quantitative', title: 'share of iterations', axis: { format: '%' } },
                  color: { field: 'variant', type: 'nominal' },
                },
              },
              {
                transform: [{ filter: "datum.kind === 'mark'" }],
                mark: { type: 'point', filled: true, size: 50 },
                encoding: {
                  x,
                  y: { field: 'share', type: 'quantitative' },
                  color: { field: 'variant', type: 'nominal' },
                  shape: { field: 'label', type: 'nominal', title: 'percentile' },
                  tooltip: [{ field: 'variant' }, { field: 'label', title: 'percentile' }, { field: 'ms', format: '.3f' }],
                },
              },
            ],
          },
        },
      },
    ];
  },
};
