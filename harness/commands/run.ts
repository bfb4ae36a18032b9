import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadBaselineAnswers } from '../baselines/load-answers.ts';
import { ConfigError } from '../config/errors.ts';
import { gate } from '../compare/gate.ts';
import { buildTrends } from '../history/report-trends.ts';
import { readHistory } from '../history/store.ts';
import { buildPlan } from '../plan/plan.ts';
import { parseShard, type Shard } from '../plan/shard.ts';
import type { ReporterName } from '../core/reporter-name.ts';
import { writeReports } from '../report/reporters/registry.ts';
import { buildReport } from '../report/report.ts';
import { describeRepeatStops } from '../execute/repeat-stop.ts';
import { executePlan } from '../execute/execute-plan.ts';
import { newRunId } from '../execute/run-id.ts';
import { makeFolder } from '../files/atomic-write.ts';
import { JOURNAL_FILE, readJournal, type ReadJournal } from '../results/journal.ts';
import { lockRunFolder, takeOverNotice, type RunLock } from '../results/run-lock.ts';
import { TOOL_VERSION } from '../version.ts';
import { SEQUENTIAL_DEFAULTS, SEQUENTIAL_RIGOROUS } from '../compare/sequential-verdict.ts';
import { configOptions, EXIT, log, runIdArg } from './common.ts';
import { runDisplay } from './run-progress.ts';
import { print } from '../report/terminal-text.ts';
import { reporterOption, terminalOutput } from './reporter-option.ts';

const DEFAULT_REPORTERS: ReporterName[] = ['console', 'html'];
/** Rounds of a fixed-length --ab run. */
const DEFAULT_ROUNDS = 40;

const EXIT_CODES_HELP = `
Exit codes:
  0    every cell was measured
  1    one or more cells failed (their errors are in results.json and the table)
  2    usage or configuration error, or the cloud baseline failed: nothing was run;
       or the run folder cannot be written (the message names the folder and the cause)
       or is in use by another edgebench process
  130  interrupted (Ctrl-C / SIGTERM): what was measured is kept`;

export function runCommand(program: Command): void {
  reporterOption(configOptions(program.command('run')), `${DEFAULT_REPORTERS.join(', ')}; the reporters' files go into the run folder`)
    .description('Run a suite on every device x variant and write reports/<run-id>/results.json.')
    .addOption(new Option('-o, --out <dir>', 'folder for run folders').default('reports'))
    .addOption(new Option('--run-id <id>', 'name of the run folder (default: UTC time + random suffix)').argParser(runIdArg))
    .addOption(
      new Option('--ab <a,b>', 'interleaved A/B: alternate these two variants in rounds on each device (compare then pairs the rounds)').argParser(abArg),
    )
    .addOption(
      new Option(
        '--rounds <n>',
        "rounds for --ab (default 40; with --sequential the most, default 60, 200 with --rigorous); each round runs the suite's iterations once per variant",
      ).argParser(Number),
    )
    .addOption(
      new Option(
        '--sequential',
        'with --ab: stop each device once an anytime-valid test decides (regressed, or no change beyond the threshold); the error rates hold whenever it stops',
      ),
    )
    .addOption(new Option('--rigorous', 'with --sequential: a 1% threshold and up to 200 rounds, to catch a 2% slowdown'))
    .addOption(
      new Option(
        '--turns',
        "with --ab: run each round's A and B processes side by side, taking turns iteration by iteration (local, emulated, qemu-arm64 and ssh devices), so drift within a round falls on both alike",
      ),
    )
    .addOption(
      new Option(
        '--paired',
        "with --ab: after the first round, run each round's A and B in one runner process, iterations alternated A B, B A, ... (local, emulated, qemu-arm64 and ssh devices); memory and load time come from the first round",
      ).conflicts('turns'),
    )
    .addOption(new Option('--shard <i/n>', 'run part i of n of the device list (CI jobs in parallel; edgebench merge combines them)').argParser(shardArg))
    .addOption(
      new Option(
        '--resume <run-dir>',
        'finish an interrupted run: keep the runner processes its journal holds and run only the rest (its suite, devices and settings are reused; refused if any changed)',
      ),
    )
    .addOption(new Option('--no-report', 'do not write the HTML report (leaves html out of the reporters)'))
    .addOption(
      new Option(
        '--history <file>',
        "a history file written by edgebench history add: the report shows each metric's trend over past commits (the run is not stored; history add does that)",
      ),
    )
    .addOption(
      new Option(
        '--repeats <n>',
        "fresh runner processes per device x variant (default: the suite's repeats, 5 unless set); compare needs at least 3 per side to test between processes",
      ).argParser(repeatsArg),
    )
    .addOption(
      new Option(
        '--instructions',
        "also count the instructions onnxruntime executes per inference, under callgrind (local and emulated devices; the suite's measure: [time, instructions])",
      ),
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(
      async (given: {
        suite: string;
        devices: string;
        device?: string[];
        out: string;
        runId?: string;
        ab?: [string, string];
        rounds?: number;
        sequential?: boolean;
        rigorous?: boolean;
        turns?: boolean;
        paired?: boolean;
        repeats?: number;
        report: boolean;
        resume?: string;
        shard?: Shard;
        history?: string;
        reporter?: ReporterName[];
        instructions?: boolean;
      }) => {
        // A resume holds the folder before reading its journal, which another resume may be appending to.
        // The lock is released at the end, or when the process exits (an error, a second Ctrl-C).
        let lock = given.resume ? lockToResume(given.resume) : undefined;
        const resume = given.resume ? await readJournalOf(given.resume) : undefined;
        // A resumed run is the same run: its suite, devices and settings come from its journal.
        const resumed = resume ? { ...given, ...resumedOptions(resume) } : given;
        const sequential = given.sequential && !resume ? (given.rigorous ? SEQUENTIAL_RIGOROUS : SEQUENTIAL_DEFAULTS) : undefined;
        const opts = { ...resumed, rounds: resumed.rounds ?? sequential?.maxRounds ?? DEFAULT_ROUNDS };
        const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
        if (given.instructions && !plan.suite.measure.includes('instructions')) plan.suite.measure = [...plan.suite.measure, 'instructions'];
        for (const name of opts.ab ?? []) {
          if (!plan.variants.some((v) => v.variant.name === name))
            throw new ConfigError(
              'command line',
              '--ab',
              `no variant "${name}" in ${opts.suite}`,
              `use two of: ${plan.variants.map((v) => v.variant.name).join(', ')}`,
            );
        }
        if (opts.ab && !(Number.isInteger(opts.rounds) && opts.rounds >= 2))
          throw new ConfigError(
            'command line',
            '--rounds',
            'interleaved A/B needs at least 2 rounds',
            'use --rounds 10 (8 or more can reach significance at alpha 0.01)',
          );
        await loadBaselineAnswers(plan, { log });
        // Read before any device is touched: a wrong path should not cost a whole run.
        const reporters = (given.reporter ?? DEFAULT_REPORTERS).filter((name) => opts.report || name !== 'html');
        if (given.history && !reporters.includes('html'))
          throw new ConfigError(
            'command line',
            '--history',
            '--history draws trends in the HTML report, and --no-report (or a --reporter list without html) leaves the report out',
            'drop one of the two; to store the run in the history, use edgebench history add',
          );
        const history = given.history ? await readHistory(given.history, { mustExist: true }) : undefined;
        const runId = resume?.header.runId ?? opts.runId ?? newRunId();
        if (!lock) {
          await makeFolder(join(opts.out, runId));
          lock = takeLock(join(opts.out, runId), `run --run-id ${runId}`);
        }
        const controller = new AbortController();
        const display = runDisplay(log);
        const onSignal = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) process.exit(EXIT.interrupted);
          display.notice(`${signal}: stopping the running cells; results measured so far are kept (press Ctrl-C again to quit at once)`);
          controller.abort();
        };
        process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
        log(
          `edgebench ${TOOL_VERSION}: suite "${plan.suite.name}", ${plan.devices.length} device(s) x ${plan.variants.length} variant(s), ${opts.ab ? `${opts.rounds}` : `${plan.suite.adaptiveRepeats.enabled ? 'up to ' : ''}${opts.repeats ?? plan.suite.repeats}`} runner process(es) each of ${plan.suite.warmup} warm-up + ${plan.suite.iterations} timed iterations`,
        );
        for (const warning of plan.warnings) log(`warning: ${warning}`);
        const { results, resultsFile } = await executePlan(plan, {
          outDir: opts.out,
          runId,
          signal: controller.signal,
          ...(opts.repeats !== undefined ? { repeats: opts.repeats } : {}),
          ...(opts.ab ? { ab: { a: opts.ab[0], b: opts.ab[1], rounds: opts.rounds } } : {}),
          ...(opts.ab && sequential ? { sequential } : {}),
          ...(opts.ab && opts.turns ? { turns: true } : {}),
          ...(opts.ab && opts.paired ? { paired: true } : {}),
          ...(resume ? { resume } : {}),
          ...(opts.shard ? { shard: opts.shard } : {}),
          progress: display,
        }).finally(() => display.close());
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        const repeatsLine = describeRepeatStops(results.cells);
        if (repeatsLine) log(repeatsLine);
        const trends = history ? buildTrends({ historyFile: given.history!, entries: history, runs: [results] }) : undefined;
        const report = buildReport({ runs: [results], gates: [gate({ candidate: { results, file: resultsFile } })], ...(trends ? { trends } : {}) });
        const runDir = dirname(resultsFile);
        // The measurements are safe in results.json: a reporter that fails is named, and `edgebench report` can try again.
        await writeReports(
          reporters,
          report,
          () => terminalOutput(runDir),
          (name, error) => {
            log(
              `the ${name} report could not be written (${error.message}); run edgebench report ${relative(process.cwd(), runDir)} --reporter=${name} to try again`,
            );
          },
        );
        print(`results: ${relative(process.cwd(), resultsFile)}`);
        if (results.status === 'interrupted') {
          log(
            `the run was interrupted: the table shows the cells measured before it stopped; finish it with: edgebench run --resume ${relative(process.cwd(), dirname(resultsFile))}`,
          );
          process.exitCode = EXIT.interrupted;
        } else if (results.cells.some((c) => c.status === 'failed')) process.exitCode = EXIT.failed;
        lock.release();
      },
    );
}

/** Takes the lock of a run folder to resume: one with a journal. */
function lockToResume(runDir: string): RunLock {
  journalFileOf(runDir);
  return takeLock(runDir, `run --resume ${runDir}`);
}

/** Takes a run folder's lock, saying so when it replaces the lock of a process that died. */
function takeLock(runDir: string, command: string): RunLock {
  const lock = lockRunFolder(runDir, command);
  const notice = takeOverNotice(lock);
  if (notice) log(notice);
  return lock;
}

/** The journal of a run folder given to --resume. */
function journalFileOf(runDir: string): string {
  const file = join(runDir, JOURNAL_FILE);
  if (!existsSync(file)) throw new ConfigError('command line', '--resume', `${file} not found`, 'name a run folder edgebench wrote, e.g. reports/<run-id>');
  return file;
}

async function readJournalOf(runDir: string): Promise<ReadJournal> {
  const file = journalFileOf(runDir);
  try {
    return await readJournal(file);
  } catch (error) {
    throw new ConfigError(file, 'journal', (error as Error).message, 'start a new run');
  }
}

function resumedOptions(resume: ReadJournal) {
  const { fingerprint } = resume.header;
  return {
    suite: fingerprint.suiteFile,
    devices: fingerprint.devicesFile,
    device: fingerprint.deviceIds,
    repeats: fingerprint.ab ? undefined : fingerprint.repeats,
    ab: fingerprint.ab ? ([fingerprint.ab.a, fingerprint.ab.b] as [string, string]) : undefined,
    rounds: fingerprint.ab?.rounds ?? 0,
    turns: fingerprint.ab?.pairing === 'turns' ? true : undefined,
    paired: fingerprint.ab?.pairing === 'paired' ? true : undefined,
    shard: fingerprint.shard,
  };
}

function shardArg(value: string): Shard {
  const shard = parseShard(value);
  if (!shard) throw new InvalidArgumentError('use i/n with 1 <= i <= n, e.g. 2/4');
  return shard;
}

function abArg(value: string): [string, string] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0] === parts[1]) throw new InvalidArgumentError('name two different variants, e.g. --ab fp32,int8');
  return [parts[0], parts[1]];
}

function repeatsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('use a whole number from 1 to 1000');
  return n;
}
