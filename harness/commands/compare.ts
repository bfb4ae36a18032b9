import { appendFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import { githubActionBenchmark, bencherMetricFormat } from '../report/compare/benchmark-export.ts';
import { gateConsole } from '../report/compare/console.ts';
import { gateAnnotations } from '../report/compare/github-annotations.ts';
import { gateJUnit } from '../report/compare/junit.ts';
import { gateMarkdown } from '../report/compare/markdown.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { OutputWriteError } from '../files/write-error.ts';
import { readResults } from '../results/read-results.ts';
import { EXIT } from './common.ts';
import { print } from '../report/terminal-text.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0  pass: no budget at level error failed
  1  a budget at level error failed (the release is blocked)
  2  usage or configuration error (unreadable results, bad arguments), or an output file
     that cannot be written (the message names it and the cause)

On GitHub Actions ($GITHUB_ACTIONS=true) failed budgets and measurement warnings are
also printed as ::error / ::warning annotations, and the Markdown summary is appended
to $GITHUB_STEP_SUMMARY.`;

interface CompareFlags {
  markdown?: string;
  junit?: string;
  json?: string;
  benchmarkJson?: string;
  bencherJson?: string;
  noise?: string;
  all?: boolean;
}

const write = atomicWrite;

export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description('Compare a candidate run with a baseline run, check the suite\'s budgets, and exit non-zero when a release must be blocked.')
    .argument('<baseline-or-candidate>', 'results.json or run folder of the baseline (or, alone, of the candidate: then only max/min/within budgets are checked)')
    .argument('[candidate]', 'results.json or run folder of the candidate')
    .addOption(new Option('--markdown <file>', 'write the Markdown summary'))
    .addOption(new Option('--junit <file>', 'write JUnit XML, one testcase per budget check'))
    .addOption(new Option('--json <file>', 'write the gate report as JSON'))
    .addOption(new Option('--benchmark-json <file>', 'export the candidate for github-action-benchmark (customSmallerIsBetter)'))
    .addOption(new Option('--bencher-json <file>', 'export the candidate in Bencher Metric Format'))
    .addOption(new Option('--noise <file>', 'calibrated noise from edgebench calibrate (default: reports/calibration/<device>.json when present)'))
    .addOption(new Option('--all', 'show every comparison, not only those that changed'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (first: string, second: string | undefined, flags: CompareFlags) => {
      const [baselinePath, candidatePath] = second ? [first, second] : [undefined, first];
      const candidate = await readResults(candidatePath);
      const baseline = baselinePath ? await readResults(baselinePath) : undefined;
      const report = gate({ candidate, baseline, noise: await loadNoise(flags.noise, candidate.results.devices.map((d) => d.id)) });
      print(gateConsole(report, { all: flags.all }));
      const markdown = gateMarkdown(report);
      if (flags.markdown) await write(flags.markdown, markdown);
      if (flags.junit) await write(flags.junit, gateJUnit(report));
      if (flags.json) await write(flags.json, `${JSON.stringify(report, null, 1)}\n`);
      if (flags.benchmarkJson) await write(flags.benchmarkJson, `${JSON.stringify(githubActionBenchmark(candidate.results), null, 1)}\n`);
      if (flags.bencherJson) await write(flags.bencherJson, `${JSON.stringify(bencherMetricFormat(candidate.results), null, 1)}\n`);
      const summary = process.env.GITHUB_STEP_SUMMARY;
      if (summary) await appendFile(summary, `${markdown}\n`).catch((error: Error) => Promise.reject(new OutputWriteError(summary, error)));
      if (process.env.GITHUB_ACTIONS === 'true') for (const line of gateAnnotations(report)) console.log(line);
      process.exitCode = report.status === 'pass' ? EXIT.ok : EXIT.failed;
    });
}
