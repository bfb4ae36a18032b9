import type { ChartBuilder } from './chart.ts';
import { deltaCharts } from './deltas.ts';
import { latencyCharts } from './latency.ts';
import { qualityCharts } from './quality.ts';
import { resourceCharts } from './resources.ts';
import { routerCharts } from './router.ts';
import { thermalCharts } from './thermal.ts';
import { tradeoffCharts } from './tradeoffs.ts';
import { trendCharts } from './trends.ts';

/** Every chart of the HTML report, in page order after the gate verdict. */
export const CHARTS = {
  deltas: deltaCharts,
  trends: trendCharts,
  latency: latencyCharts,
  tradeoffs: tradeoffCharts,
  resources: resourceCharts,
  thermal: thermalCharts,
  quality: qualityCharts,
  router: routerCharts,
} as const satisfies Record<string, ChartBuilder>;
