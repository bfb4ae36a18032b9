import { join } from 'node:path';
import type { Results } from '../core/results.ts';
import { RunWriteError, type Journal } from '../results/journal.ts';
import { resultsWriter } from '../results/write-results.ts';

export interface RunResultsFile {
  path: string;
  /** After a runner process; a write that fails stops the run the way a failed journal write does. */
  save(results: Results): Promise<void>;
  /** At the start and the end of the run: written at once, and a failure is the run's error. */
  flush(results: Results): Promise<void>;
}

/**
 * The run's results.json, through one writer so that no two writes ever overlap. The run's folder holds its
 * journal: one removed mid-run is not made again, the run stops and says so.
 */
export function runResultsFile(runDir: string, journal: Journal): RunResultsFile {
  const path = join(runDir, 'results.json');
  const write = resultsWriter(path, { createFolder: false });
  return {
    path,
    save: (results) => write(results).catch((error: Error) => journal.fail(error)),
    flush: (results) =>
      write.flush(results).catch((error: Error) => {
        throw new RunWriteError(runDir, error);
      }),
  };
}
