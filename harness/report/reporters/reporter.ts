import type { Report } from '../../core/report.ts';
import type { ReporterName } from '../../core/reporter-name.ts';

/**
 * Where a reporter writes. The command line builds it; tests build one that
 * collects what is printed.
 */
export interface ReporterOutput {
  /** The folder a file reporter writes its file into, under the reporter's own file name. */
  dir: string;
  /** A file to write instead (compare --markdown <file>, ...). */
  file?: string;
  /** Text for people on stdout, made safe for a terminal by the caller. */
  print(text: string): void;
  /** A GitHub Actions workflow command, printed as it is: it must reach the runner unescaped. */
  workflowCommand(line: string): void;
  /** Where $GITHUB_STEP_SUMMARY and $GITHUB_ACTIONS are read. */
  env: NodeJS.ProcessEnv;
  /** Show every comparison on the terminal, not only those that changed (compare --all). */
  all?: boolean;
}

/**
 * One way of showing a Report. A reporter reads nothing but the Report, so a
 * saved report.json shows the same later; it writes only through `out`.
 */
export interface Reporter<Name extends ReporterName = ReporterName> {
  name: Name;
  /** One line for --help and docs/command-line.md. */
  description: string;
  /** The file a file reporter writes into out.dir when out.file is not given; none for the terminal's reporters. */
  fileName?: string;
  write(report: Report, out: ReporterOutput): Promise<void>;
}
