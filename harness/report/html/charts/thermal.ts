import { baseConfig, CHART_WIDTH, type ChartBuilder } from './chart.ts';
import { labelledCells, rounded } from './cells.ts';

/** Temperature through each runner process, as the probes sampled it beside the runner. Only measured temperatures are drawn. */
export const thermalCharts: ChartBuilder = {
  section: 'thermal',
  missing: 'No temperature was measured on any device (the Energy and thermal section says why).',
  build(report) {
    const points = labelledCells(report).flatMap(({ device, variant, cell }) =>
      (cell.repeats ?? []).flatMap((r) => {
        const t = r.probes?.temperature;
        return t?.source === 'measured'
          ? t.trace.map(([ms, celsius]) => ({
              device,
              variant,
              process: `${variant} #${r.repeat}`,
              seconds: rounded(ms / 1000),
              celsius: rounded(celsius),
              sensor: t.sensor,
            }))
          : [];
      }),
    );
    if (points.length === 0) return [];
    return [
      {
        id: 'temperature',
        title: 'Temperature during each runner process',
        description: 'The hottest CPU sensor, sampled beside the runner from its start (load, warm-up, timed iterations); one line per runner process.',
        spec: {
          ...baseConfig,
          data: { values: points },
          facet: { row: { field: 'device', type: 'nominal', title: null } },
          spec: {
            width: CHART_WIDTH,
            height: 160,
            mark: { type: 'line', point: false },
            encoding: {
              x: { field: 'seconds', type: 'quantitative', title: 's since the runner started' },
              y: { field: 'celsius', type: 'quantitative', title: '°C', scale: { zero: false } },
              color: { field: 'variant', type: 'nominal' },
              detail: { field: 'process', type: 'nominal' },
              tooltip: [{ field: 'process' }, { field: 'seconds' }, { field: 'celsius' }, { field: 'sensor' }],
            },
          },
        },
      },
    ];
  },
};
