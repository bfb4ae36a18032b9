import { consoleTable } from '../console-table.ts';
import { qualityTable } from '../quality-table.ts';
import { oneLine } from '../terminal-text.ts';
import type { Reporter } from './reporter.ts';

/** The end-of-run tables on the terminal: measurements of every cell, then quality when something was scored. */
export const consoleReporter = {
  name: 'console',
  description: "each run's table of cells (latency, load time, memory, energy) and, when something was scored, its quality table, on the terminal",
  async write(report, out) {
    for (const run of report.runs) {
      if (report.runs.length > 1) out.print(oneLine(`run ${run.runId} (${run.suite.name}):`));
      out.print(consoleTable(run));
      const quality = qualityTable(run);
      if (quality) out.print(`\n${quality}`);
    }
  },
} satisfies Reporter<'console'>;
