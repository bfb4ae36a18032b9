import type { Report } from '../../core/report.ts';
import { ReporterName } from '../../core/reporter-name.ts';
import { bencherJsonReporter } from './bencher-json.ts';
import { benchmarkJsonReporter } from './benchmark-json.ts';
import { consoleReporter } from './console.ts';
import { githubReporter } from './github.ts';
import { htmlReporter } from './html.ts';
import { jsonReporter } from './json.ts';
import { junitReporter } from './junit.ts';
import { markdownReporter } from './markdown.ts';
import type { Reporter, ReporterOutput } from './reporter.ts';
import { stepSummaryReporter } from './step-summary.ts';
import { verdictReporter } from './verdict.ts';

/** Every reporter by its name: a ReporterName without an entry, or an entry under another name, fails to compile. */
export const REPORTERS = {
  console: consoleReporter,
  verdict: verdictReporter,
  html: htmlReporter,
  json: jsonReporter,
  markdown: markdownReporter,
  junit: junitReporter,
  github: githubReporter,
  'step-summary': stepSummaryReporter,
  'benchmark-json': benchmarkJsonReporter,
  'bencher-json': bencherJsonReporter,
} as const satisfies { [Name in ReporterName]: Reporter<Name> };

export const REPORTER_NAMES: readonly ReporterName[] = ReporterName.options;

/**
 * Runs the named reporters in order, each with the output the caller gives it. Without onError the first
 * failure stops the rest; with it, a failing reporter is handed to onError and the others still run.
 */
export async function writeReports(
  names: readonly ReporterName[],
  report: Report,
  outputFor: (name: ReporterName) => ReporterOutput,
  onError?: (name: ReporterName, error: Error) => void,
): Promise<void> {
  for (const name of names) {
    try {
      await REPORTERS[name].write(report, outputFor(name));
    } catch (error) {
      if (!onError) throw error;
      onError(name, error as Error);
    }
  }
}
