import { relative } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadBaselineAnswers } from '../baselines/load-answers.ts';
import { ConfigError } from '../config/errors.ts';
import { buildPlan } from '../plan/plan.ts';
import { consoleTable } from '../report/console-table.ts';
import { qualityTable } from '../report/quality-table.ts';
import { executePlan, newRunId } from '../run.ts';
import { TOOL_VERSION } from '../version.ts';
import { configOptions, EXIT, log } from './common.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0    every cell was measured
  1    one or more cells failed (their errors are in results.json and the table)
  2    usage or configuration error, or the cloud baseline failed: nothing was run
  130  interrupted (Ctrl-C / SIGTERM): what was measured is kept`;

export function runCommand(program: Command): void {
  configOptions(program.command('run'))
    .description('Run a suite on every device x variant and write reports/<run-id>/results.json.')
    .addOption(new Option('-o, --out <dir>', 'folder for run folders').default('reports'))
    .addOption(new Option('--run-id <id>', 'name of the run folder (default: UTC time + random suffix)').argParser(runIdArg))
    .addOption(new Option('--ab <a,b>', 'interleaved A/B: alternate these two variants in rounds on each device (compare then pairs the rounds)').argParser(abArg))
    .addOption(new Option('--rounds <n>', 'rounds for --ab (at least 8 for significance at alpha 0.01); each round runs the suite\'s iterations once per variant').argParser(Number).default(10))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { suite: string; devices: string; device?: string[]; out: string; runId?: string; ab?: [string, string]; rounds: number }) => {
      const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
      for (const name of opts.ab ?? []) {
        if (!plan.variants.some((v) => v.variant.name === name)) throw new ConfigError('command line', '--ab', `no variant "${name}" in ${opts.suite}`, `use two of: ${plan.variants.map((v) => v.variant.name).join(', ')}`);
      }
      if (opts.ab && !(Number.isInteger(opts.rounds) && opts.rounds >= 2)) throw new ConfigError('command line', '--rounds', 'interleaved A/B needs at least 2 rounds', 'use --rounds 10 (8 or more can reach significance at alpha 0.01)');
      await loadBaselineAnswers(plan, { log });
      const runId = opts.runId ?? newRunId();
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) process.exit(EXIT.interrupted);
        log(`\n${signal}: stopping the running cell; results measured so far are kept (press Ctrl-C again to quit at once)`);
        controller.abort();
      };
      process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
      log(`edgebench ${TOOL_VERSION}: suite "${plan.suite.name}", ${plan.devices.length} device(s) x ${plan.variants.length} variant(s), ${plan.suite.warmup} warm-up + ${plan.suite.iterations} timed iterations each`);
      const { results, resultsFile } = await executePlan(plan, {
        outDir: opts.out,
        runId,
        signal: controller.signal,
        ...(opts.ab ? { ab: { a: opts.ab[0], b: opts.ab[1], rounds: opts.rounds } } : {}),
        progress: {
          cellStarted: (device, variant, index, total) => log(`[${index + 1}/${total}] ${device.id} / ${variant.variant.name} ...`),
          cellFinished: (cell) => {
            const latency = cell.metrics.latencyMs;
            log(cell.status === 'ok' && latency.source === 'measured' ? `      ok: p50 ${latency.summary.p50.toFixed(3)} ms` : `      FAILED ${cell.error?.code}: ${cell.error?.message}`);
          },
        },
      });
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      console.log(consoleTable(results));
      const quality = qualityTable(results);
      if (quality) console.log(`\n${quality}`);
      console.log(`\nresults: ${relative(process.cwd(), resultsFile)}`);
      if (results.status === 'interrupted') {
        log('the run was interrupted: the table shows the cells measured before it stopped');
        process.exitCode = EXIT.interrupted;
      } else if (results.cells.some((c) => c.status === 'failed')) process.exitCode = EXIT.failed;
    });
}

function abArg(value: string): [string, string] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0] === parts[1]) throw new InvalidArgumentError('name two different variants, e.g. --ab fp32,int8');
  return [parts[0], parts[1]];
}

function runIdArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) throw new InvalidArgumentError('use letters, digits, ".", "_" and "-" only');
  return value;
}
