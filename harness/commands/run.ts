import { relative } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadBaselineAnswers } from '../baselines/load-answers.ts';
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
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { suite: string; devices: string; device?: string[]; out: string; runId?: string }) => {
      const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
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

function runIdArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) throw new InvalidArgumentError('use letters, digits, ".", "_" and "-" only');
  return value;
}
