import { consoleTable } from '../console-table.ts';
import { qualityTable } from '../quality-table.ts';
import { workloadConsoleTable } from '../workload-table.ts';
import { oneLine } from '../terminal-text.ts';
import type { Reporter } from './reporter.ts';

/** The end-of-run tables on the terminal: measurements of every cell, then quality when something was scored. */
export const consoleReporter = {
  name: 'console',
  description: "each run's table of cells (latency, load time, memory, energy), its pp/tg table when the suite had a workload, and, when something was scored, its quality table, on the terminal",
  async write(report, out) {
    for (const run of report.runs) {
      if (report.runs.length > 1) out.print(oneLine(`run ${run.runId} (${run.suite.name}):`));
      out.print(consoleTable(run));
      const workload = workloadConsoleTable(run);
      if (workload) out.print(`\n${workload}`);
      const quality = qualityTable(run);
      if (quality) out.print(`\n${quality}`);
    }
  },
} satisfies Reporter<'console'>;
