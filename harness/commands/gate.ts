import { dirname, join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { loadBaselineAnswers } from '../baselines/load-answers.ts';
import { gate } from '../compare/gate.ts';
import { loadNoise } from '../compare/noise.ts';
import { SEQUENTIAL_DEFAULTS, SEQUENTIAL_QUICK, SEQUENTIAL_RIGOROUS } from '../compare/sequential-verdict.ts';
import { ConfigError } from '../config/errors.ts';
import type { ReporterName } from '../core/reporter-name.ts';
import type { Results } from '../core/results.ts';
import { executePlan } from '../execute/execute-plan.ts';
import { newRunId } from '../execute/run-id.ts';
import { makeFolder } from '../files/atomic-write.ts';
import { buildPlan, type RunPlan } from '../plan/plan.ts';
import { writeReports } from '../report/reporters/registry.ts';
import { buildReport } from '../report/report.ts';
import { print } from '../report/terminal-text.ts';
import { readResults } from '../results/read-results.ts';
import { lockRunFolder } from '../results/run-lock.ts';
import { postComment } from '../github/pull-request-comment.ts';
import { configOptions, EXIT, log, runIdArg } from './common.ts';
import { defaultCompareReporters } from './compare.ts';
import { gateSide, type GateSide } from './gate-sides.ts';
import { reporterOption, terminalOutput } from './reporter-option.ts';
import { runDisplay } from './run-progress.ts';

const EXIT_CODES_HELP = `
Both sides models (variants of the suite): they run interleaved, A/B in rounds on each device, and
each device stops once an anytime-valid test decides (--fixed: all --rounds). One side a stored run:
the other runs now and the two runs are compared; drift of the machine between them is not
controlled, and the summary says so.

Without budgets in the suite, the default gate fails on a regressed verdict in latency (p50, p90,
TTFT, decode tokens/s), peak memory or quality (accuracy, KL divergence, top-1 agreement,
hallucination); gate.failOn in the suite, or budgets, replace it.

Writes into the run folder: results.json, index.html (the report), summary.md (the Markdown
summary, usable as a pull-request comment), junit.xml; on GitHub Actions also annotations and the
step summary.

Exit codes:
  0  pass
  1  the gate failed (a budget or failOn check at level error), or a cell failed
  2  usage or configuration error; nothing was judged`;

interface GateFlags {
  suite: string;
  devices: string;
  device?: string[];
  baseline: string;
  candidate: string;
  out: string;
  runId?: string;
  rounds?: number;
  rigorous?: boolean;
  quick?: boolean;
  fixed?: boolean;
  turns?: boolean;
  /** Commander's --no-paired: true unless given. */
  paired: boolean;
  comment?: boolean;
  reportUrl?: string;
  reporter?: ReporterName[];
}

export function gateCommand(program: Command): void {
  reporterOption(configOptions(program.command('gate')), 'verdict, markdown, junit, html; on GitHub Actions also github and step-summary')
    .description('The CI gate in one command: run baseline and candidate, compare them, write the summary, JUnit and report, and exit 1 on a regression.')
    .requiredOption('--baseline <model-or-run>', 'a variant of the suite (its name or model file), or a stored run (run folder or results.json)')
    .requiredOption('--candidate <model-or-run>', 'a variant of the suite (its name or model file), or a stored run')
    .addOption(new Option('-o, --out <dir>', 'folder for run folders').default('reports'))
    .addOption(new Option('--run-id <id>', 'name of the run folder (default: UTC time + random suffix)').argParser(runIdArg))
    .addOption(
      new Option('--rounds <n>', 'A/B rounds at most (default 60, 20 with --quick, 200 with --rigorous; exactly this many with --fixed)').argParser(Number),
    )
    .addOption(
      new Option('--quick', 'at most 20 rounds: a few minutes; the summary says the smallest change its rounds could resolve on each device').conflicts([
        'rigorous',
        'fixed',
      ]),
    )
    .addOption(new Option('--rigorous', 'a 1% threshold and up to 200 rounds: catches a 2% slowdown, at several times the cost').conflicts('fixed'))
    .addOption(new Option('--fixed', 'run every round and decide with the signed-rank test, instead of stopping once the sequential test decides'))
    .addOption(
      new Option(
        '--no-paired',
        "run every A/B round's two variants in processes of their own, one after the other, instead of pairing rounds after the first in one process (paired rounds are about 3x less noisy; see docs/compare-and-gate.md)",
      ),
    )
    .addOption(
      new Option('--turns', "instead of pairing, run each A/B round's two processes side by side, taking turns iteration by iteration, where the device can"),
    )
    .addOption(new Option('--comment', 'post or update the pull-request comment from summary.md (needs GITHUB_TOKEN; see edgebench comment)'))
    .addOption(new Option('--report-url <url>', 'link to the full report in the comment (default: the workflow run page on GitHub Actions)'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (flags: GateFlags) => {
      const plan = await buildPlan({ suiteFile: flags.suite, devicesFile: flags.devices, deviceIds: flags.device });
      const baseline = gateSide('--baseline', flags.baseline, plan);
      const candidate = gateSide('--candidate', flags.candidate, plan);
      if (baseline.kind === 'model' && candidate.kind === 'model' && baseline.variant === candidate.variant)
        throw new ConfigError(
          'command line',
          '--candidate',
          `baseline and candidate are the same variant "${baseline.variant}"`,
          'name two different variants',
        );
      const rounds = flags.rounds ?? (flags.fixed ? 40 : sequentialTier(flags).maxRounds);
      if (!(Number.isInteger(rounds) && rounds >= 2))
        throw new ConfigError('command line', '--rounds', 'interleaved A/B needs at least 2 rounds', 'use --rounds 20 or more');

      const judged = await measure(plan, baseline, candidate, { ...flags, rounds });
      const gateReport = gate({
        candidate: judged.candidate,
        ...(judged.baseline ? { baseline: judged.baseline } : {}),
        noise: await loadNoise(
          undefined,
          judged.candidate.results.devices.map((d) => d.id),
        ),
      });
      const report = buildReport({
        runs: [judged.candidate.results],
        ...(judged.baseline ? { baseline: judged.baseline.results } : {}),
        gates: [gateReport],
      });
      const dir = dirname(judged.candidate.file);
      const names: ReporterName[] = flags.reporter ?? [
        ...new Set<ReporterName>(['verdict', 'markdown', 'junit', 'html', ...defaultCompareReporters(process.env)]),
      ];
      await writeReports(names, report, () => terminalOutput(dir));
      print(`results: ${relative(process.cwd(), judged.candidate.file)}`);
      if (flags.comment) {
        const posted = await postComment({ markdownFile: join(dir, 'summary.md'), env: process.env, reportUrl: flags.reportUrl, log });
        log(posted);
      }
      const failedCells = judged.candidate.results.cells.some((c) => c.status === 'failed');
      process.exitCode = gateReport.status === 'pass' && !failedCells ? EXIT.ok : EXIT.failed;
    });
}

type Side = { results: Results; file: string };

/** Runs what has to run and reads what was stored: the candidate, and the baseline unless the candidate is an A/B run holding both. */
async function measure(
  plan: RunPlan,
  baseline: GateSide,
  candidate: GateSide,
  flags: GateFlags & { rounds: number },
): Promise<{ candidate: Side; baseline?: Side }> {
  if (baseline.kind === 'run' && candidate.kind === 'run') {
    log(`gate: two stored runs, nothing runs now (${baseline.path} against ${candidate.path})`);
    return { baseline: await readResults(baseline.path), candidate: await readResults(candidate.path) };
  }
  if (baseline.kind === 'model' && candidate.kind === 'model') {
    const mode = flags.fixed ? `${flags.rounds} rounds` : `stopping each device once the sequential test decides, at most ${flags.rounds} rounds`;
    const paired = flags.paired && !flags.turns;
    const pairing = flags.turns
      ? "each round's two processes side by side, taking turns iteration by iteration where the device can (--turns)"
      : paired
        ? 'the first round in a process per variant (memory, load time); after it, both variants in one process per round, iterations alternated, where the device can (--no-paired to turn off)'
        : "each round's two processes one after the other (--no-paired)";
    log(`gate: interleaved A/B of ${baseline.variant} (A) and ${candidate.variant} (B), ${mode}; ${pairing}`);
    const run = await runNow(plan, flags, {
      ab: { a: baseline.variant, b: candidate.variant, rounds: flags.rounds },
      ...(flags.turns ? { turns: true } : {}),
      ...(paired ? { paired: true } : {}),
      ...(flags.fixed ? {} : { sequential: sequentialTier(flags) }),
    });
    return { candidate: run };
  }
  const stored = baseline.kind === 'run' ? baseline : (candidate as { kind: 'run'; path: string });
  const model = baseline.kind === 'model' ? baseline : (candidate as { kind: 'model'; variant: string });
  const read = await readResults(stored.path);
  log(
    `gate: ${model.variant} runs now against the stored run ${read.results.runId} (${relative(process.cwd(), read.file)}); ` +
      'drift of the machine between the two runs is not controlled, so small changes are less certain than with an interleaved A/B of two models',
  );
  const run = await runNow({ ...plan, variants: plan.variants.filter((v) => v.variant.name === model.variant) }, flags, {});
  return baseline.kind === 'run' ? { baseline: read, candidate: run } : { baseline: run, candidate: read };
}

async function runNow(
  plan: RunPlan,
  flags: GateFlags,
  extra: Pick<Parameters<typeof executePlan>[1], 'ab' | 'sequential' | 'turns' | 'paired'>,
): Promise<Side> {
  await loadBaselineAnswers(plan, { log });
  const runId = flags.runId ?? newRunId();
  const runDir = join(flags.out, runId);
  await makeFolder(runDir);
  const lock = lockRunFolder(runDir, `gate --run-id ${runId}`);
  const display = runDisplay(log);
  try {
    const { results, resultsFile } = await executePlan(plan, { outDir: flags.out, runId, progress: display, ...extra }).finally(() => display.close());
    return { results, file: resultsFile };
  } finally {
    lock.release();
  }
}

/** The sequential settings of the tier the flags ask for. */
function sequentialTier(flags: Pick<GateFlags, 'quick' | 'rigorous'>) {
  return flags.quick ? SEQUENTIAL_QUICK : flags.rigorous ? SEQUENTIAL_RIGOROUS : SEQUENTIAL_DEFAULTS;
}
