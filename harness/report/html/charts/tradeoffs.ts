import { metricValue } from '../../../core/metric.ts';
import { baseConfig, type ChartBuilder } from './chart.ts';
import { labelledCells, MiB } from './cells.ts';

/**
 * Which variant to ship: agreement with the baseline against p90 latency,
 * one point per variant and device, its area the variant's size on disk.
 * Up and to the left is better.
 */
export const tradeoffCharts: ChartBuilder = {
  section: 'tradeoffs',
  missing: 'No accuracy to plot: the suite has no baseline to score against.',
  build(report) {
    const points = labelledCells(report).flatMap(({ device, variant, precision, cell }) => {
      const agreement = cell.quality?.agreement;
      const latency = cell.metrics.latencyMs;
      if (!agreement || latency.source !== 'measured') return [];
      const disk = metricValue(cell.metrics.diskBytes);
      return [
        {
          device,
          variant,
          precision,
          metric: agreement.metric,
          accuracy: agreement.value,
          lower: agreement.ci95.lower,
          upper: agreement.ci95.upper,
          p90: latency.summary.p90,
          diskMiB: disk !== undefined ? disk / MiB : 0,
        },
      ];
    });
    if (points.length === 0) return [];
    const y = { field: 'accuracy', type: 'quantitative', title: `${points[0]!.metric} vs baseline`, axis: { format: '.1%' }, scale: { zero: false } } as const;
    return [
      {
        id: 'pareto',
        title: 'Accuracy vs p90 latency',
        description:
          'Each point is a variant on a device; its area is the size on disk, its bar the 95% Wilson interval of the accuracy. Up and to the left is better. Each device has its own latency axis.',
        spec: {
          ...baseConfig,
          data: { values: points },
          // Two devices a row, each with its own latency axis: four devices side by side would overflow the page.
          facet: { field: 'device', type: 'nominal', title: null },
          columns: 2,
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: 360,
            height: 280,
            layer: [
              {
                mark: { type: 'rule' },
                encoding: {
                  x: { field: 'p90', type: 'quantitative', title: 'p90 latency (ms)', scale: { zero: false } },
                  y: { ...y, field: 'lower' },
                  y2: { field: 'upper' },
                  color: { field: 'precision', type: 'nominal' },
                },
              },
              {
                mark: { type: 'circle', opacity: 0.8 },
                encoding: {
                  x: { field: 'p90', type: 'quantitative' },
                  y,
                  size: { field: 'diskMiB', type: 'quantitative', title: 'disk (MiB)', scale: { range: [60, 900] } },
                  color: { field: 'precision', type: 'nominal' },
                  tooltip: [
                    { field: 'variant' },
                    { field: 'precision' },
                    { field: 'accuracy', format: '.2%' },
                    { field: 'lower', format: '.2%' },
                    { field: 'upper', format: '.2%' },
                    { field: 'p90', title: 'p90 ms', format: '.3f' },
                    { field: 'diskMiB', title: 'disk MiB', format: '.2f' },
                  ],
                },
              },
              { mark: { type: 'text', align: 'left', dx: 10, dy: -8 }, encoding: { x: { field: 'p90', type: 'quantitative' }, y, text: { field: 'variant' } } },
            ],
          },
        },
      },
    ];
  },
};
