import { dirname, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import { writeHtmlReport } from '../report/html/write-html-report.ts';
import { buildReport } from '../report/report.ts';
import { readResults } from '../results/read-results.ts';

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description('Write the self-contained HTML report (index.html, with every chart also as SVG) for one or more runs.')
    .argument('<results...>', 'results.json files or run folders')
    .addOption(new Option('--baseline <results>', 'a baseline run to compare every run with (deltas and verdicts)'))
    .addOption(new Option('-o, --out <dir>', 'folder to write into (default: the first run\'s folder)'))
    .addOption(new Option('--noise <file>', 'calibrated noise from edgebench calibrate (default: reports/calibration/<device>.json when present)'))
    .action(async (paths: string[], flags: { baseline?: string; out?: string; noise?: string }) => {
      const runs = await Promise.all(paths.map((p) => readResults(p)));
      const baseline = flags.baseline ? await readResults(flags.baseline) : undefined;
      const gates = [];
      for (const run of runs) gates.push(gate({ candidate: run, baseline, noise: await loadNoise(flags.noise, run.results.devices.map((d) => d.id)) }));
      const report = buildReport({ runs: runs.map((r) => r.results), ...(baseline ? { baseline: baseline.results } : {}), gates });
      const written = await writeHtmlReport(flags.out ?? dirname(runs[0]!.file), report);
      console.log(`report: ${relative(process.cwd(), written.indexFile)} (${(written.bytes / 1024 / 1024).toFixed(2)} MB, ${written.svgFiles.length} charts also as SVG)`);
    });
}
