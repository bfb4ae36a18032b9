import { Option, type Command } from 'commander';
import { execa } from 'execa';
import { FixedMetricName } from '../core/budget.ts';
import { ConfigError } from '../config/errors.ts';
import { addToHistory, DEFAULT_HISTORY_FILE, readHistory } from '../history/store.ts';
import { seriesOf, stepsIn } from '../history/trends.ts';
import { readResults } from '../results/read-results.ts';
import { print } from '../report/terminal-text.ts';
import { OutputWriteError } from '../files/write-error.ts';

/** `history add` stores runs; `history show` finds the steps in each metric's series. */
export function historyCommand(program: Command): void {
  const history = program.command('history').description('Keep runs by commit and find where metrics stepped (E-divisive means change points).');
  const store = () => new Option('--store <file>', 'history file (JSON lines)').default(DEFAULT_HISTORY_FILE);

  history
    .command('add')
    .description("Store a run's measured cells, keyed by commit, branch, suite, device and variant hashes.")
    .argument('<results>', 'results.json or its run folder')
    .addOption(store())
    .addOption(new Option('--commit <sha>', 'the commit measured (default: $GITHUB_SHA, else git rev-parse HEAD)'))
    .addOption(new Option('--branch <name>', 'its branch (default: $GITHUB_REF_NAME, else the current git branch)'))
    .action(async (file: string, opts: { store: string; commit?: string; branch?: string }) => {
      const { results } = await readResults(file);
      const commit = opts.commit ?? process.env.GITHUB_SHA ?? (await git(['rev-parse', 'HEAD']));
      const branch = opts.branch ?? process.env.GITHUB_REF_NAME ?? (await git(['rev-parse', '--abbrev-ref', 'HEAD']));
      const { added } = await addToHistory(opts.store, results, { ...(commit ? { commit } : {}), ...(branch ? { branch } : {}) }).catch((error: Error) => {
        // A store that cannot be written is named by the cli with its cause (exit 2); anything else is a run added twice.
        throw error instanceof ConfigError || error instanceof OutputWriteError
          ? error
          : new ConfigError(opts.store, undefined, error.message, 'add each run once');
      });
      print(`${opts.store}: added ${added} cell(s) of run ${results.runId}${commit ? ` at ${commit.slice(0, 12)}` : ''}`);
    });

  history
    .command('show')
    .description('Print the steps in each series of a metric: where it moved, by how much, at which commit.')
    .addOption(store())
    .addOption(new Option('--metric <name>', 'metric').choices(FixedMetricName.options).default('latency.p90'))
    .addOption(new Option('--min-change <fraction>', 'ignore steps smaller than this').default('0.02'))
    .action(async (opts: { store: string; metric: FixedMetricName; minChange: string }) => {
      const entries = await readHistory(opts.store);
      const series = seriesOf(entries, opts.metric);
      const steps = stepsIn(series, { minRelativeChange: Number(opts.minChange) });
      print(`${series.length} series of ${opts.metric} in ${opts.store} (${entries.length} stored cells)`);
      for (const step of steps) print(`  ${step.summary}; permutation p ${step.pValue.toFixed(3)}`);
      if (steps.length === 0) print('  no steps');
    });
}

/** git's answer, or undefined outside a repository. */
async function git(args: string[]): Promise<string | undefined> {
  const result = await execa('git', args, { reject: false });
  return result.exitCode === 0 ? String(result.stdout).trim() || undefined : undefined;
}
