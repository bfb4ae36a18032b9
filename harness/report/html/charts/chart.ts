import type { TopLevelSpec } from 'vega-lite';
import type { Report } from '../../../core/report.ts';

/** One chart of the HTML report: a vega-lite spec with its data inline, also rendered to SVG. */
export interface ChartView {
  /** File name of its SVG (charts/<id>.svg) and the element id in the page. */
  id: string;
  title: string;
  /** How to read it: what is plotted, where it comes from. */
  description: string;
  spec: TopLevelSpec;
}

/** Builds a view's charts from the report; none when the report holds nothing for it (the page says why). */
export interface ChartBuilder {
  /** The section of the page the charts belong to. */
  section: 'latency' | 'tradeoffs' | 'resources' | 'thermal' | 'quality' | 'router' | 'deltas' | 'trends';
  build(report: Report): ChartView[];
  /** Shown instead of a chart when build returns none; a function when the reason depends on the report. */
  missing: string | ((report: Report) => string);
  /** Plain-text findings listed above the section's charts (the page escapes them), e.g. the change points a trend found. */
  notes?(report: Report): string[];
}

/** Shared look: readable on a white page, one width for every chart. */
export const CHART_WIDTH = 560;
export const baseConfig = { config: { font: 'system-ui, sans-serif', view: { stroke: '#ddd' }, axis: { labelLimit: 240 } } } as const;
