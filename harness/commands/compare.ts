import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import type { ReporterName } from '../core/reporter-name.ts';
import { writeReports } from '../report/reporters/registry.ts';
import { buildReport } from '../report/report.ts';
import { readResults } from '../results/read-results.ts';
import { EXIT } from './common.ts';
import { reporterOption, terminalOutput } from './reporter-option.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0  pass: no budget at level error failed
  1  a budget at level error failed (the release is blocked)
  2  usage or configuration error (unreadable results, bad arguments), or an output file
     that cannot be written (the message names it and the cause)

Without --reporter, the verdict is printed and, on GitHub Actions ($GITHUB_ACTIONS=true),
failed budgets and measurement warnings are also printed as ::error / ::warning
annotations (github), and the Markdown summary is appended to $GITHUB_STEP_SUMMARY
(step-summary) when that is set.`;

/** The file flags: each runs its reporter, writing to the file named instead of <out>/<its file name>. */
const FILE_FLAGS = {
  markdown: 'markdown',
  junit: 'junit',
  json: 'json',
  benchmarkJson: 'benchmark-json',
  bencherJson: 'bencher-json',
} as const satisfies Record<string, ReporterName>;
type FileFlag = keyof typeof FILE_FLAGS;

type CompareFlags = Partial<Record<FileFlag, string>> & { out?: string; noise?: string; all?: boolean; reporter?: ReporterName[] };

/** The verdict, and under GitHub Actions the annotations and the step summary. */
export function defaultCompareReporters(env: NodeJS.ProcessEnv): ReporterName[] {
  return ['verdict', ...(env['GITHUB_STEP_SUMMARY'] ? (['step-summary'] as const) : []), ...(env['GITHUB_ACTIONS'] === 'true' ? (['github'] as const) : [])];
}

export function compareCommand(program: Command): void {
  reporterOption(program.command('compare'), 'verdict; on GitHub Actions also github and step-summary')
    .description("Compare a candidate run with a baseline run, check the suite's budgets, and exit non-zero when a release must be blocked.")
    .argument(
      '<baseline-or-candidate>',
      'results.json or run folder of the baseline (or, alone, of the candidate: then only max/min/within budgets are checked)',
    )
    .argument('[candidate]', 'results.json or run folder of the candidate')
    .addOption(new Option('-o, --out <dir>', "folder the file reporters write into (default: the candidate's run folder)"))
    .addOption(new Option('--markdown <file>', 'write the Markdown summary to this file (the markdown reporter)'))
    .addOption(new Option('--junit <file>', 'write JUnit XML, one testcase per budget check, to this file (the junit reporter)'))
    .addOption(new Option('--json <file>', 'write the Report, the gate included (gates[0]), as JSON to this file (the json reporter)'))
    .addOption(new Option('--benchmark-json <file>', 'export the candidate for github-action-benchmark (customSmallerIsBetter) to this file'))
    .addOption(new Option('--bencher-json <file>', 'export the candidate in Bencher Metric Format to this file'))
    .addOption(new Option('--noise <file>', 'calibrated noise from edgebench calibrate (default: reports/calibration/<device>.json when present)'))
    .addOption(new Option('--all', 'show every comparison, not only those that changed'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (first: string, second: string | undefined, flags: CompareFlags) => {
      const [baselinePath, candidatePath] = second ? [first, second] : [undefined, first];
      const candidate = await readResults(candidatePath);
      const baseline = baselinePath ? await readResults(baselinePath) : undefined;
      const gateReport = gate({
        candidate,
        baseline,
        noise: await loadNoise(
          flags.noise,
          candidate.results.devices.map((d) => d.id),
        ),
      });
      const report = buildReport({ runs: [candidate.results], ...(baseline ? { baseline: baseline.results } : {}), gates: [gateReport] });
      const files = new Map<ReporterName, string>();
      for (const flag of Object.keys(FILE_FLAGS) as FileFlag[]) {
        const file = flags[flag];
        if (file !== undefined) files.set(FILE_FLAGS[flag], file);
      }
      const chosen = flags.reporter ?? defaultCompareReporters(process.env);
      const names = [...new Set([...chosen, ...files.keys()])];
      const dir = flags.out ?? dirname(candidate.file);
      await writeReports(names, report, (name) => terminalOutput(dir, { all: flags.all, ...(files.has(name) ? { file: files.get(name)! } : {}) }));
      process.exitCode = gateReport.status === 'pass' ? EXIT.ok : EXIT.failed;
    });
}
