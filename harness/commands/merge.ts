import { dirname, join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { gate } from '../compare/gate.ts';
import { writeHtmlReport } from '../report/html/write-html-report.ts';
import { buildReport } from '../report/report.ts';
import { MergeError, mergeResults } from '../results/merge.ts';
import { readResults } from '../results/read-results.ts';
import { writeResults } from '../results/write-results.ts';
import { log } from './common.ts';
import { print } from '../report/terminal-text.ts';

export function mergeCommand(program: Command): void {
  program
    .command('merge')
    .description('Combine the results of the shards of one run (run --shard i/n) into one run, raw samples included, ready for compare and report.')
    .argument('<results...>', 'each shard\'s results.json or run folder')
    .addOption(new Option('-o, --out <dir>', 'folder for the merged run folder').default('reports'))
    .addOption(new Option('--run-id <id>', 'name of the merged run (default: merged-<first shard\'s run id>)'))
    .addOption(new Option('--no-report', 'do not write the HTML report'))
    .action(async (files: string[], opts: { out: string; runId?: string; report: boolean }) => {
      const shards = await Promise.all(files.map(async (file) => (await readResults(file)).results));
      let merged;
      try {
        merged = mergeResults(shards, opts.runId ?? `merged-${shards[0]!.runId}`);
      } catch (error) {
        if (error instanceof MergeError) throw new ConfigError('command line', '<results...>', error.message, 'merge the results of every shard of one run, each once');
        throw error;
      }
      const file = join(opts.out, merged.runId, 'results.json');
      await writeResults(file, merged);
      print(`merged ${shards.length} shard(s): ${merged.devices.length} device(s), ${merged.cells.length} cell(s), status ${merged.status}`);
      print(`results: ${relative(process.cwd(), file)}`);
      if (opts.report) {
        try {
          const written = await writeHtmlReport(dirname(file), buildReport({ runs: [merged], gates: [gate({ candidate: { results: merged, file } })] }));
          print(`report: ${relative(process.cwd(), written.indexFile)}`);
        } catch (error) {
          log(`the HTML report could not be written (${(error as Error).message}); run edgebench report ${relative(process.cwd(), dirname(file))} to try again`);
        }
      }
    });
}
