import { wilsonInterval } from '../../../stats/wilson.ts';
import { baseConfig, type ChartBuilder } from './chart.ts';
import { labelledCells } from './cells.ts';
import { unscoredNotes } from '../../unscored-note.ts';

/** Shares with 95% CIs: agreement with the baseline, hallucination, out-of-domain errors, top-1 agreement with the reference variant. */
export const qualityCharts: ChartBuilder = {
  section: 'quality',
  missing: 'No quality scores: the suite has no baseline, reference variant or scorer that applies.',
  // A scorer that could not run says why, above the charts: a missing score is never a silent gap.
  notes: (report) => unscoredNotes(report.runs),
  build(report) {
    const rows = labelledCells(report).flatMap(({ device, variant, cell }) => {
      const q = cell.quality;
      if (!q) return [];
      const out: { device: string; variant: string; measure: string; value: number; lower: number; upper: number; n: number }[] = [];
      if (q.agreement)
        out.push({ device, variant, measure: `${q.agreement.metric} vs baseline`, value: q.agreement.value, ...q.agreement.ci95, n: q.agreement.n });
      if (q.slots) out.push({ device, variant, measure: 'slot F1 vs baseline', value: q.slots.f1, ...q.slots.ci95, n: q.slots.n });
      if (q.hallucination)
        out.push({ device, variant, measure: 'hallucination rate', value: q.hallucination.rate, ...q.hallucination.ci95, n: q.hallucination.n });
      if (q.outOfDomain) out.push({ device, variant, measure: 'out-of-domain error', value: q.outOfDomain.rate, ...q.outOfDomain.ci95, n: q.outOfDomain.n });
      if (q.fidelity && q.fidelity.distributions > 0) {
        const agreeing = Math.round(q.fidelity.top1Agreement * q.fidelity.distributions);
        const ci = wilsonInterval(agreeing, q.fidelity.distributions);
        out.push({
          device,
          variant,
          measure: `top-1 agreement with ${q.fidelity.reference}`,
          value: q.fidelity.top1Agreement,
          lower: ci.lower,
          upper: ci.upper,
          n: q.fidelity.distributions,
        });
      }
      return out;
    });
    if (rows.length === 0) return [];
    return [
      {
        id: 'quality',
        title: 'Quality with 95% intervals',
        description: 'Point: the measured share; bar: its 95% interval (Wilson for shares). n is the number of examples (or distributions) behind it.',
        spec: {
          ...baseConfig,
          data: { values: rows },
          facet: { column: { field: 'measure', type: 'nominal', title: null }, row: { field: 'device', type: 'nominal', title: null } },
          resolve: { scale: { x: 'independent' } },
          spec: {
            width: 180,
            layer: [
              {
                mark: { type: 'rule' },
                encoding: {
                  y: { field: 'variant', type: 'nominal', title: null },
                  x: { field: 'lower', type: 'quantitative', title: null, axis: { format: '.1%' }, scale: { zero: false } },
                  x2: { field: 'upper' },
                },
              },
              {
                mark: { type: 'point', filled: true, size: 60 },
                encoding: {
                  y: { field: 'variant', type: 'nominal' },
                  x: { field: 'value', type: 'quantitative' },
                  color: { field: 'variant', type: 'nominal', legend: null },
                  tooltip: [
                    { field: 'variant' },
                    { field: 'measure' },
                    { field: 'value', format: '.2%' },
                    { field: 'lower', format: '.2%' },
                    { field: 'upper', format: '.2%' },
                    { field: 'n' },
                  ],
                },
              },
            ],
          },
        },
      },
    ];
  },
};
