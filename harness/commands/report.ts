import { dirname, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import { buildTrends } from '../history/report-trends.ts';
import { readHistory } from '../history/store.ts';
import { writeHtmlReport } from '../report/html/write-html-report.ts';
import { buildReport } from '../report/report.ts';
import { readResults } from '../results/read-results.ts';
import { print } from '../report/terminal-text.ts';

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description('Write the self-contained HTML report (index.html, with every chart also as SVG) for one or more runs.')
    .argument('<results...>', 'results.json files or run folders')
    .addOption(new Option('--baseline <results>', 'a baseline run to compare every run with (deltas and verdicts)'))
    .addOption(new Option('-o, --out <dir>', 'folder to write into (default: the first run\'s folder)'))
    .addOption(new Option('--noise <file>', 'calibrated noise from edgebench calibrate (default: reports/calibration/<device>.json when present)'))
    .addOption(new Option('--history <file>', 'a history file written by edgebench history add: adds each metric\'s trend over past commits, with the steps found in it'))
    .action(async (paths: string[], flags: { baseline?: string; out?: string; noise?: string; history?: string }) => {
      const runs = await Promise.all(paths.map((p) => readResults(p)));
      const baseline = flags.baseline ? await readResults(flags.baseline) : undefined;
      const history = flags.history ? await readHistory(flags.history, { mustExist: true }) : undefined;
      const gates = [];
      for (const run of runs) gates.push(gate({ candidate: run, baseline, noise: await loadNoise(flags.noise, run.results.devices.map((d) => d.id)) }));
      const trends = history ? buildTrends({ historyFile: flags.history!, entries: history, runs: runs.map((r) => r.results) }) : undefined;
      const report = buildReport({ runs: runs.map((r) => r.results), ...(baseline ? { baseline: baseline.results } : {}), gates, ...(trends ? { trends } : {}) });
      const written = await writeHtmlReport(flags.out ?? dirname(runs[0]!.file), report);
      print(`report: ${relative(process.cwd(), written.indexFile)} (${(written.bytes / 1024 / 1024).toFixed(2)} MB, ${written.svgFiles.length} charts also as SVG)`);
    });
}
