import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { gate } from '../compare/gate.ts';
import { writeReports } from '../report/reporters/registry.ts';
import { buildReport } from '../report/report.ts';
import { makeFolder } from '../files/atomic-write.ts';
import { JOURNAL_FILE } from '../results/journal.ts';
import { MergeError, mergeResults } from '../results/merge.ts';
import { readResults } from '../results/read-results.ts';
import { isRunId, RUN_ID_RULE } from '../results/run-id.ts';
import { lockRunFolder, takeOverNotice } from '../results/run-lock.ts';
import { writeResults } from '../results/write-results.ts';
import { log, runIdArg } from './common.ts';
import { print } from '../report/terminal-text.ts';
import { terminalOutput } from './reporter-option.ts';

export function mergeCommand(program: Command): void {
  program
    .command('merge')
    .description('Combine the results of the shards of one run (run --shard i/n) into one run, raw samples included, ready for compare and report.')
    .argument('<results...>', "each shard's results.json or run folder")
    .addOption(new Option('-o, --out <dir>', 'folder for the merged run folder').default('reports'))
    .addOption(new Option('--run-id <id>', "name of the merged run (default: merged-<first shard's run id>)").argParser(runIdArg))
    .addOption(new Option('--no-report', 'do not write the HTML report'))
    .action(async (files: string[], opts: { out: string; runId?: string; report: boolean }) => {
      const shards = await Promise.all(files.map(async (file) => (await readResults(file)).results));
      const runId = opts.runId ?? `merged-${shards[0]!.runId}`;
      // A run id from a results file names a folder: one that leads out of --out is refused, not followed.
      if (!isRunId(runId)) {
        throw new ConfigError(
          files[0]!,
          'runId',
          `the run id ${JSON.stringify(shards[0]!.runId)} cannot name the merged run's folder`,
          `pass --run-id (${RUN_ID_RULE})`,
        );
      }
      let merged;
      try {
        merged = mergeResults(shards, runId);
      } catch (error) {
        if (error instanceof MergeError)
          throw new ConfigError('command line', '<results...>', error.message, 'merge the results of every shard of one run, each once');
        throw error;
      }
      const runDir = join(opts.out, merged.runId);
      const file = join(runDir, 'results.json');
      await makeFolder(runDir);
      // Held until the process exits: the report below goes into the same folder.
      const notice = takeOverNotice(lockRunFolder(runDir, `merge --run-id ${merged.runId}`));
      if (notice) log(notice);
      const taken = [file, join(runDir, JOURNAL_FILE)].find((f) => existsSync(f));
      if (taken) {
        const problem = `run folder ${runDir} already holds a run (${taken}); merge does not overwrite it`;
        throw new ConfigError('command line', '--run-id', problem, 'choose another --run-id or -o, or remove that folder first');
      }
      await writeResults(file, merged);
      print(`merged ${shards.length} shard(s): ${merged.devices.length} device(s), ${merged.cells.length} cell(s), status ${merged.status}`);
      print(`results: ${relative(process.cwd(), file)}`);
      if (opts.report) {
        const report = buildReport({ runs: [merged], gates: [gate({ candidate: { results: merged, file } })] });
        await writeReports(
          ['html'],
          report,
          () => terminalOutput(runDir),
          (_, error) => {
            log(`the HTML report could not be written (${error.message}); run edgebench report ${relative(process.cwd(), runDir)} to try again`);
          },
        );
      }
    });
}
