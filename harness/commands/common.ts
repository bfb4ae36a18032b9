import { InvalidArgumentError, Option, type Command } from 'commander';
import { isRunId, RUN_ID_RULE } from '../results/run-id.ts';
import { forTerminal } from '../report/terminal-text.ts';

/** Exit codes; documented in --help and docs/command-line.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A line on stderr, made safe to print (see forTerminal). */
export function log(message: string): void {
  process.stderr.write(`${forTerminal(message)}\n`);
}

/** --suite, --devices and --device, shared by the commands that read a configuration. */
export function configOptions(command: Command): Command {
  return command
    .addOption(new Option('-s, --suite <file>', 'suite file').default('suites/demo.yaml'))
    .addOption(new Option('-d, --devices <file>', 'device inventory').default('devices.yaml'))
    .addOption(new Option('--device <id...>', "run on these device ids from the devices file instead of the suite's list"));
}

/** --run-id of run and merge: a plain folder name, so a run can never be written outside -o. */
export function runIdArg(value: string): string {
  if (!isRunId(value)) throw new InvalidArgumentError(RUN_ID_RULE);
  return value;
}
