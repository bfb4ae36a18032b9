import { appendFile } from 'node:fs/promises';
import { OutputWriteError } from '../../files/write-error.ts';
import { reportMarkdown } from './markdown.ts';
import type { Reporter } from './reporter.ts';

/**
 * The Markdown summary appended to the file GitHub Actions names in $GITHUB_STEP_SUMMARY, which the
 * run's page shows. Appended, not replaced: earlier steps of the job write to the same file.
 */
export const stepSummaryReporter = {
  name: 'step-summary',
  description: "the Markdown summary appended to $GITHUB_STEP_SUMMARY (GitHub Actions shows it on the run's page)",
  async write(report, out) {
    const summary = out.env['GITHUB_STEP_SUMMARY'];
    if (!summary) {
      out.print('step-summary: $GITHUB_STEP_SUMMARY is not set (it is, in a GitHub Actions job), so no summary was written');
      return;
    }
    await appendFile(summary, `${reportMarkdown(report)}\n`).catch((error: Error) => Promise.reject(new OutputWriteError(summary, error)));
  },
} satisfies Reporter<'step-summary'>;
