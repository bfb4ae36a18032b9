import { Command } from 'commander';
import { BaselineError } from './baselines/openai-compatible.ts';
import { EXIT, log } from './commands/common.ts';
import { ConfigError, ConfigErrors } from './config/errors.ts';
import { ModelFileError } from './onnx/model-file.ts';
import { QuantizeError } from './quantize/quantize-error.ts';
import { OutputWriteError } from './files/write-error.ts';
import { RunWriteError } from './results/journal.ts';
import { RunLockedError } from './results/run-lock.ts';
import { TOOL_VERSION } from './version.ts';

const program = new Command('edgebench')
  .description('Benchmark ONNX model variants (fp32, fp16, int8, int4) on devices and record trustworthy numbers.')
  .version(TOOL_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

type RegisterCommands = (program: Command) => void;
const signing = () => import('./commands/sign.ts').then((m) => m.signCommands);
/**
 * Every command and the module that defines it, in --help order. Only the module of the command being run is
 * loaded: `edgebench compare` need not load the device drivers, the runtimes and the report's chart libraries.
 */
const COMMANDS = {
  run: () => import('./commands/run.ts').then((m) => m.runCommand),
  gate: () => import('./commands/gate.ts').then((m) => m.gateCommand),
  compare: () => import('./commands/compare.ts').then((m) => m.compareCommand),
  comment: () => import('./commands/comment.ts').then((m) => m.commentCommand),
  report: () => import('./commands/report.ts').then((m) => m.reportCommand),
  calibrate: () => import('./commands/calibrate.ts').then((m) => m.calibrateCommand),
  init: () => import('./commands/init.ts').then((m) => m.initCommand),
  validate: () => import('./commands/validate.ts').then((m) => m.validateCommand),
  quantize: () => import('./commands/quantize.ts').then((m) => m.quantizeCommand),
  convert: () => import('./commands/convert.ts').then((m) => m.convertCommand),
  schemas: () => import('./commands/schemas.ts').then((m) => m.schemasCommand),
  keygen: signing,
  sign: signing,
  verify: signing,
  history: () => import('./commands/history.ts').then((m) => m.historyCommand),
  merge: () => import('./commands/merge.ts').then((m) => m.mergeCommand),
} satisfies Record<string, () => Promise<RegisterCommands>>;

const named = process.argv[2];
// --help, --version, `help` or a misspelt command: every command is registered, for the listing or the suggestion.
const loaders = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named as keyof typeof COMMANDS]] : [...new Set(Object.values(COMMANDS))];
for (const register of await Promise.all(loaders.map((load) => load()))) register(program);

// Only the command line decides exit codes; everything below it reports errors as values or typed errors.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigErrors || error instanceof ConfigError) {
    const count = error instanceof ConfigErrors ? error.errors.length : 1;
    log(`edgebench: configuration error${count > 1 ? `s (${count})` : ''}, nothing was run:\n${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof RunWriteError || error instanceof OutputWriteError || error instanceof RunLockedError) {
    // Not a failed cell or budget (exit 1): the machine's folders are in the way, and the message says which and why.
    log(`edgebench: ${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof BaselineError) {
    log(`edgebench: the cloud baseline failed, nothing was run:\n${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof QuantizeError) {
    log(`edgebench quantize: ${error.message}\n  fix: ${error.fix}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof ModelFileError) {
    log(`edgebench: ${error.file}: ${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof Error && 'exitCode' in error && 'code' in error && String(error.code).startsWith('commander.')) {
    // commander has printed its message (or the help/version) already.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  } else {
    log(`edgebench: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = EXIT.failed;
  }
}
