import { REPORT_SCHEMA_VERSION, type Report } from '../core/report.ts';
import { compareToReference, referenceVariant } from '../compare/compare-variants.ts';
import { GateReport } from '../core/comparison.ts';
import { Trends } from '../core/trends.ts';
import { Results } from '../core/results.ts';
import { TOOL_VERSION } from '../version.ts';

export function buildReport(input: { runs: Results[]; baseline?: Results; gates: GateReport[]; trends?: Trends; now?: Date }): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    generatedAt: (input.now ?? new Date()).toISOString(),
    runs: input.runs,
    ...(input.baseline ? { baseline: input.baseline } : {}),
    gates: input.gates,
    variantComparisons: input.runs.map((run) => {
      const reference = referenceVariant(run) ?? '';
      return { reference, comparisons: reference ? compareToReference(run, reference) : [] };
    }),
    ...(input.trends ? { trends: input.trends } : {}),
  };
}
