import { InvalidArgumentError, Option, type Command } from 'commander';
import { ReporterName } from '../core/reporter-name.ts';
import type { ReporterOutput } from '../report/reporters/reporter.ts';
import { REPORTER_NAMES, REPORTERS } from '../report/reporters/registry.ts';
import { print } from '../report/terminal-text.ts';

/**
 * --reporter <name...> of run, report and compare: which reporters show the Report. Given, it replaces the
 * command's default list; names may be repeated, separated by spaces or commas.
 */
export function reporterOption(command: Command, defaults: string): Command {
  return command
    .addOption(
      new Option('--reporter <name...>', `reporters to run, in order, instead of the default (${defaults}); see the list below`).argParser(reporterNamesArg),
    )
    .addHelpText('after', reporterHelp());
}

/** Parses one word given to --reporter (commander calls it once per word) and adds its names to the ones before. */
export function reporterNamesArg(value: string, previous: ReporterName[] | undefined): ReporterName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const parsed = names.map((name) => {
    const known = ReporterName.safeParse(name);
    if (!known.success) throw new InvalidArgumentError(unknownReporter(name));
    return known.data;
  });
  return [...new Set([...(previous ?? []), ...parsed])];
}

/** The message for a name no reporter has: every valid name, and why a file name may have landed here. */
export function unknownReporter(name: string): string {
  const looksLikePath = /[/\\.]/.test(name);
  const hint = looksLikePath ? '; --reporter takes every word up to the next option, so write --reporter=<name> or put it after the files' : '';
  return `unknown reporter ${JSON.stringify(name)}: use one or more of ${REPORTER_NAMES.join(', ')}${hint}`;
}

/** Output to this process's terminal and environment, file reporters writing into `dir`. */
export function terminalOutput(dir: string, fields: Partial<Omit<ReporterOutput, 'dir'>> = {}): ReporterOutput {
  return {
    dir,
    print,
    // edgebench's own workflow commands: print() would make them inert.
    workflowCommand: (line) => console.log(line),
    env: process.env,
    ...fields,
  };
}

function reporterHelp(): string {
  const width = Math.max(...REPORTER_NAMES.map((name) => name.length));
  const lines = REPORTER_NAMES.map((name) => {
    const reporter = REPORTERS[name];
    const file = 'fileName' in reporter ? ` (writes ${reporter.fileName})` : '';
    return `  ${name.padEnd(width)}  ${reporter.description}${file}`;
  });
  return `\nReporters (--reporter):\n${lines.join('\n')}`;
}
