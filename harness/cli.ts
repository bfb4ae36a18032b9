import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, ConfigErrors } from './config/errors.ts';
import { jsonSchemas, jsonSchemaText } from './config/json-schema.ts';
import { buildPlan } from './plan/plan.ts';
import { consoleTable } from './report/console-table.ts';
import { executePlan, newRunId } from './run.ts';
import { TOOL_VERSION } from './version.ts';

/** Exit codes; documented in --help and the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const EXIT_CODES_HELP = `
Exit codes:
  0    every cell was measured
  1    one or more cells failed (their errors are in results.json and the table)
  2    usage or configuration error: nothing was run
  130  interrupted (Ctrl-C / SIGTERM): what was measured is kept`;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const configOptions = (command: Command) =>
  command
    .addOption(new Option('-s, --suite <file>', 'suite file').default('suites/demo.yaml'))
    .addOption(new Option('-d, --devices <file>', 'device inventory').default('devices.yaml'))
    .addOption(new Option('--device <id...>', 'run only on these device ids'));

const program = new Command('edgebench')
  .description('Benchmark ONNX model variants (fp32, fp16, int8, int4) on devices and record trustworthy numbers.')
  .version(TOOL_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

configOptions(program.command('run'))
  .description('Run a suite on every device x variant and write reports/<run-id>/results.json.')
  .addOption(new Option('-o, --out <dir>', 'folder for run folders').default('reports'))
  .addOption(new Option('--run-id <id>', 'name of the run folder (default: UTC time + random suffix)').argParser(runIdArg))
  .addHelpText('after', EXIT_CODES_HELP)
  .action(async (opts: { suite: string; devices: string; device?: string[]; out: string; runId?: string }) => {
    const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
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
    console.log(`\nresults: ${relative(process.cwd(), resultsFile)}`);
    if (results.status === 'interrupted') {
      log('the run was interrupted: the table shows the cells measured before it stopped');
      process.exitCode = EXIT.interrupted;
    } else if (results.cells.some((c) => c.status === 'failed')) process.exitCode = EXIT.failed;
  });

configOptions(program.command('validate'))
  .description('Check devices.yaml, the suite, its models and its dataset without running anything.')
  .action(async (opts: { suite: string; devices: string; device?: string[] }) => {
    const plan = await buildPlan({ suiteFile: opts.suite, devicesFile: opts.devices, deviceIds: opts.device });
    console.log(`${opts.suite}: ok (${plan.dataset.examples.length} examples)`);
    console.log(`${opts.devices}: ok (${plan.devices.map((d) => `${d.id} [${d.kind}]`).join(', ')})`);
    for (const { variant } of plan.variants) console.log(`  ${variant.name.padEnd(16)} ${variant.precision.padEnd(5)} ${String(variant.diskBytes).padStart(12)} bytes  sha256 ${variant.sha256}`);
  });

program
  .command('schemas')
  .description('Write JSON Schema files for devices.yaml, suites and results.json (for editor completion).')
  .addOption(new Option('-o, --out <dir>', 'output folder').default('schemas'))
  .action(async (opts: { out: string }) => {
    await mkdir(opts.out, { recursive: true });
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      await writeFile(join(opts.out, name), jsonSchemaText(schema));
      console.log(join(opts.out, name));
    }
  });

function runIdArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) throw new InvalidArgumentError('use letters, digits, ".", "_" and "-" only');
  return value;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigErrors || error instanceof ConfigError) {
    const count = error instanceof ConfigErrors ? error.errors.length : 1;
    log(`edgebench: configuration error${count > 1 ? `s (${count})` : ''}, nothing was run:\n${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof Error && 'exitCode' in error && 'code' in error && String(error.code).startsWith('commander.')) {
    // commander has printed its message (or the help/version) already.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  } else {
    log(`edgebench: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = EXIT.failed;
  }
}
