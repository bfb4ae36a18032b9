import type { Reporter } from './reporter.ts';
import { writeReportFile } from './report-file.ts';

/**
 * The Report itself, raw samples included: the input of every other reporter, versioned by schemaVersion
 * (REPORT_SCHEMA_VERSION in harness/core/report.ts), so a saved report.json renders the same later.
 */
export const jsonReporter = {
  name: 'json',
  description: 'the whole Report (runs, baseline, gates, comparisons, trends) as versioned JSON',
  fileName: 'report.json',
  async write(report, out) {
    await writeReportFile(jsonReporter, out, `${JSON.stringify(report, null, 1)}\n`);
  },
} satisfies Reporter<'json'>;
