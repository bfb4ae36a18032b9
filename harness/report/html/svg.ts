import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { ChartView } from './charts/chart.ts';

/** A chart as standalone SVG, drawn in Node by vega itself (for Markdown summaries and pull-request comments). */
export async function chartSvg(chart: ChartView): Promise<string> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
