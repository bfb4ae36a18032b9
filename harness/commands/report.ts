import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import { buildTrends } from '../history/report-trends.ts';
import { readHistory } from '../history/store.ts';
import type { ReporterName } from '../core/reporter-name.ts';
import { writeReports } from '../report/reporters/registry.ts';
import { buildReport } from '../report/report.ts';
import { readResults } from '../results/read-results.ts';
import { reporterOption, terminalOutput } from './reporter-option.ts';

const DEFAULT_REPORTERS: ReporterName[] = ['html'];

export function reportCommand(program: Command): void {
  reporterOption(program.command('report'), DEFAULT_REPORTERS.join(', '))
    .description(
      'Show one or more runs, compared with a baseline if given: by default the self-contained HTML report (index.html, with every chart also as SVG); --reporter chooses others.',
    )
    .argument('<results...>', 'results.json files or run folders')
    .addOption(new Option('--baseline <results>', 'a baseline run to compare every run with (deltas and verdicts)'))
    .addOption(new Option('-o, --out <dir>', "folder the reporters write their files into (default: the first run's folder)"))
    .addOption(new Option('--noise <file>', 'calibrated noise from edgebench calibrate (default: reports/calibration/<device>.json when present)'))
    .addOption(
      new Option('--history <file>', "a history file written by edgebench history add: adds each metric's trend over past commits, with the steps found in it"),
    )
    .action(async (paths: string[], flags: { baseline?: string; out?: string; noise?: string; history?: string; reporter?: ReporterName[] }) => {
      const runs = await Promise.all(paths.map((p) => readResults(p)));
      const baseline = flags.baseline ? await readResults(flags.baseline) : undefined;
      const history = flags.history ? await readHistory(flags.history, { mustExist: true }) : undefined;
      const gates = [];
      for (const run of runs)
        gates.push(
          gate({
            candidate: run,
            baseline,
            noise: await loadNoise(
              flags.noise,
              run.results.devices.map((d) => d.id),
            ),
          }),
        );
      const trends = history ? buildTrends({ historyFile: flags.history!, entries: history, runs: runs.map((r) => r.results) }) : undefined;
      const report = buildReport({
        runs: runs.map((r) => r.results),
        ...(baseline ? { baseline: baseline.results } : {}),
        gates,
        ...(trends ? { trends } : {}),
      });
      const out = terminalOutput(flags.out ?? dirname(runs[0]!.file));
      await writeReports(flags.reporter ?? DEFAULT_REPORTERS, report, () => out);
    });
}
