import { metricValue } from '../../../core/metric.ts';
import { baseConfig, type ChartBuilder } from './chart.ts';
import { labelledCells, MiB } from './cells.ts';

const MEASURES = [
  ['peakRssBytes', 'peak RSS'],
  ['modelRssBytes', 'model RSS'],
  ['diskBytes', 'disk'],
] as const;

/** Peak memory, the model's share of it, and size on disk, per variant and device. Only measured values are drawn. */
export const resourceCharts: ChartBuilder = {
  section: 'resources',
  missing: 'No memory or disk size was measured.',
  build(report) {
    const bars = labelledCells(report).flatMap(({ device, variant, cell }) =>
      MEASURES.flatMap(([key, measure]) => {
        const metric = cell.metrics[key];
        const value = metric.source === 'measured' ? metricValue(metric) : undefined;
        return value !== undefined ? [{ device, variant, measure, MiB: value / MiB, method: metric.source === 'measured' ? metric.method : '' }] : [];
      }),
    );
    if (bars.length === 0) return [];
    return [
      {
        id: 'memory-disk',
        title: 'Memory and disk',
        description: 'Peak resident memory of the runner process (largest over its processes), the part the model added, and the bytes of the variant files.',
        spec: {
          ...baseConfig,
          data: { values: bars },
          facet: {
            column: { field: 'measure', type: 'nominal', title: null, sort: MEASURES.map(([, m]) => m) },
            row: { field: 'device', type: 'nominal', title: null },
          },
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: 200,
            mark: { type: 'bar' },
            encoding: {
              y: { field: 'variant', type: 'nominal', title: null },
              x: { field: 'MiB', type: 'quantitative', title: 'MiB' },
              color: { field: 'variant', type: 'nominal', legend: null },
              tooltip: [{ field: 'variant' }, { field: 'measure' }, { field: 'MiB', format: '.2f' }, { field: 'method' }],
            },
          },
        },
      },
    ];
  },
};
