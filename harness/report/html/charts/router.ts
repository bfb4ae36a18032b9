import { baseConfig, CHART_WIDTH, type ChartBuilder } from './chart.ts';
import { labelledCells, rounded } from './cells.ts';

/** A sweep has a point per distinct confidence (one per example); this many, evenly spread, draw the same curve. */
const CURVE_POINTS = 40;

function thinned<T>(points: T[]): T[] {
  if (points.length <= CURVE_POINTS) return points;
  const step = (points.length - 1) / (CURVE_POINTS - 1);
  return Array.from({ length: CURVE_POINTS }, (_, i) => points[Math.round(i * step)]!);
}

/** The hybrid router's trade-off: combined accuracy against the share sent to the cloud, per variant, the recommended threshold marked. */
export const routerCharts: ChartBuilder = {
  section: 'router',
  missing: 'No router simulation: the suite has no `router` settings.',
  build(report) {
    const cells = labelledCells(report).filter((c) => c.cell.quality?.router);
    if (cells.length === 0) return [];
    const multipleDevices = new Set(cells.map((c) => c.device)).size > 1;
    const label = (c: (typeof cells)[number]) => (multipleDevices ? `${c.device} / ${c.variant}` : c.variant);
    const curve = cells.map((c) => {
      const points = thinned(c.cell.quality!.router!.points);
      return {
        kind: 'curve',
        series: label(c),
        cloudShare: points.map((p) => rounded(p.cloudShare)),
        accuracy: points.map((p) => rounded(p.combinedAccuracy)),
        threshold: points.map((p) => rounded(p.threshold)),
      };
    });
    const chosen = cells.flatMap((c) => {
      const r = c.cell.quality!.router!.recommended;
      return r ? [{ kind: 'recommended', series: label(c), cloudShare: [r.cloudShare], accuracy: [r.combinedAccuracy], threshold: [r.threshold] }] : [];
    });
    const target = cells[0]!.cell.quality!.router!.targetAccuracy;
    const x = { field: 'cloudShare', type: 'quantitative', title: 'share of requests sent to the cloud', axis: { format: '%' } } as const;
    const y = { field: 'accuracy', type: 'quantitative', title: 'combined accuracy', axis: { format: '.1%' }, scale: { zero: false } } as const;
    return [
      {
        id: 'router',
        title: 'Hybrid router trade-off',
        description: `Each point is a confidence threshold: requests below it go to the cloud baseline. Filled points: the cheapest threshold that meets the target accuracy (${(target * 100).toFixed(1)}%, dashed).`,
        spec: {
          ...baseConfig,
          width: CHART_WIDTH,
          height: 300,
          data: { values: [...curve, ...chosen] },
          transform: [{ flatten: ['cloudShare', 'accuracy', 'threshold'] }],
          layer: [
            {
              transform: [{ filter: "datum.kind === 'curve'" }],
              mark: { type: 'line' },
              encoding: {
                x,
                y,
                color: { field: 'series', type: 'nominal', title: null },
                tooltip: [
                  { field: 'series' },
                  { field: 'threshold', format: '.4f' },
                  { field: 'cloudShare', format: '.1%' },
                  { field: 'accuracy', format: '.2%' },
                ],
              },
            },
            {
              transform: [{ filter: "datum.kind === 'recommended'" }],
              mark: { type: 'point', filled: true, size: 160, shape: 'diamond' },
              encoding: { x, y, color: { field: 'series', type: 'nominal' } },
            },
            { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: target } } },
          ],
        },
      },
    ];
  },
};
