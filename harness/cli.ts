import { Command } from 'commander';
import { BaselineError } from './baselines/openai-compatible.ts';
import { EXIT, log } from './commands/common.ts';
import { calibrateCommand } from './commands/calibrate.ts';
import { compareCommand } from './commands/compare.ts';
import { historyCommand } from './commands/history.ts';
import { mergeCommand } from './commands/merge.ts';
import { quantizeCommand } from './commands/quantize.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { schemasCommand } from './commands/schemas.ts';
import { signCommands } from './commands/sign.ts';
import { validateCommand } from './commands/validate.ts';
import { ConfigError, ConfigErrors } from './config/errors.ts';
import { ModelFileError } from './onnx/model-file.ts';
import { QuantizeError } from './quantize/quantize.ts';
import { OutputWriteError } from './files/write-error.ts';
import { RunWriteError } from './results/journal.ts';
import { RunLockedError } from './results/run-lock.ts';
import { TOOL_VERSION } from './version.ts';

const program = new Command('edgebench')
  .description('Benchmark ONNX model variants (fp32, fp16, int8, int4) on devices and record trustworthy numbers.')
  .version(TOOL_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

runCommand(program);
compareCommand(program);
reportCommand(program);
calibrateCommand(program);
validateCommand(program);
quantizeCommand(program);
schemasCommand(program);
signCommands(program);
historyCommand(program);
mergeCommand(program);

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
