import { join } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { OutputWriteError } from '../files/write-error.ts';
import { fingerprintChanges, Journal, JOURNAL_FILE, type ReadJournal, type RunFingerprint } from '../results/journal.ts';

/**
 * The run's journal in its folder: a new one for a new run (refused if the folder already holds a run), or the
 * journal being resumed, reopened to append, when the run still measures what it measured (its fingerprint).
 */
export function openJournal(runDir: string, run: { runId: string; startedAt: string; fingerprint: RunFingerprint; resume?: ReadJournal }): Journal {
  const file = join(runDir, JOURNAL_FILE);
  if (run.resume) {
    const changes = fingerprintChanges(run.resume.header.fingerprint, run.fingerprint);
    if (changes.length)
      throw new ConfigError(
        file,
        'fingerprint',
        `run ${run.runId} cannot be resumed: ${changes.join('; ')}`,
        'start a new run (measurements of different models or settings do not mix), or restore what changed',
      );
    return Journal.reopen(file, run.resume);
  }
  try {
    return Journal.create(file, { type: 'run', runId: run.runId, startedAt: run.startedAt, fingerprint: run.fingerprint });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputWriteError(file, error as Error);
    throw new ConfigError(
      'command line',
      '--run-id',
      `run folder ${runDir} already holds a run`,
      `resume it with --resume ${runDir}, or choose another --run-id`,
    );
  }
}
