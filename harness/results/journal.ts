import { closeSync, constants, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { RunnerEvent } from '../core/runner-protocol.ts';
import type { RunnerOutcome } from '../runner/spawn.ts';
import { RepeatProbes } from '../core/probe-readings.ts';
import { errnoOf, writeFix, writeProblem } from '../files/write-error.ts';
import { readBoundedFile } from '../config/read-bounded-file.ts';

/**
 * The run's journal (journal.jsonl in the run folder): every runner event is
 * appended as it arrives, with the start and end of each runner process.
 * results.json is derived from it; `run --resume` rebuilds the processes that
 * completed from it and runs only the rest. Append-only, one JSON object per
 * line, so a crash can cost at most the line being written.
 */

/** What a run was started with: resuming refuses to mix measurements of anything else. */
export const RunFingerprint = z.strictObject({
  suiteFile: z.string(),
  devicesFile: z.string(),
  /** Device ids chosen on the command line (--device), if any. */
  deviceIds: z.array(z.string()).optional(),
  /** sha256 of the suite and of the chosen devices' specs, as parsed (comments and formatting do not count). */
  suiteSha256: z.string(),
  devicesSha256: z.string(),
  datasetSha256: z.string(),
  variants: z.record(z.string(), z.string()).describe('variant name -> sha256 of its files'),
  repeats: z.number().int().positive(),
  ab: z
    .strictObject({
      a: z.string(),
      b: z.string(),
      rounds: z.number().int(),
      /** How a round's two variants ran where the device could (--turns, --paired): a resume runs its rounds the same way. */
      pairing: z.enum(['turns', 'paired']).optional(),
    })
    .optional(),
  shard: z.strictObject({ index: z.number().int().positive(), total: z.number().int().positive() }).optional(),
});
export type RunFingerprint = z.infer<typeof RunFingerprint>;

const ProcessKey = { device: z.string(), variant: z.string(), repeat: z.number().int().positive(), attempt: z.number().int().nonnegative() };

export const JournalEntry = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('run'), runId: z.string(), startedAt: z.string(), fingerprint: RunFingerprint }),
  z.strictObject({ type: z.literal('resumed'), at: z.string() }),
  z.strictObject({ type: z.literal('start'), ...ProcessKey, startedAt: z.string() }),
  z.strictObject({ type: z.literal('event'), attempt: z.number().int().nonnegative(), event: RunnerEvent }),
  /** The outcome without its events (they are the attempt's event lines), and what the probes sampled beside it. */
  z.strictObject({
    type: z.literal('end'),
    ...ProcessKey,
    finishedAt: z.string(),
    outcome: z.record(z.string(), z.unknown()),
    probes: RepeatProbes.optional(),
  }),
]);
export type JournalEntry = z.infer<typeof JournalEntry>;

export const JOURNAL_FILE = 'journal.jsonl';

/** A runner process the journal holds in full: started, streamed, ended. */
export interface JournaledRun {
  device: string;
  variant: string;
  repeat: number;
  startedAt: Date;
  finishedAt: Date;
  outcome: RunnerOutcome;
  probes?: RepeatProbes;
}

/** The run could not write its journal or results (disk full, folder removed): it stopped, keeping what was written. */
export class RunWriteError extends Error {
  constructor(
    readonly runDir: string,
    readonly writeError: Error,
  ) {
    const code = errnoOf(writeError);
    const fix = code ? `${writeFix(code)}, then finish it with: edgebench run --resume ${runDir}` : `finish it with: edgebench run --resume ${runDir}`;
    super(`cannot write to ${runDir}: ${writeProblem(writeError)}. The run stopped; what was written before is kept. To go on, ${fix}`);
    this.name = 'RunWriteError';
  }
}

export class Journal {
  private nextAttempt: number;
  private readonly failure = new AbortController();
  /** The first write that failed; the run stops when it is set. */
  writeError: Error | undefined;
  /** Aborted when a write fails: the runner stops at once rather than measure what cannot be kept. */
  readonly failed: AbortSignal = this.failure.signal;

  private constructor(
    readonly file: string,
    firstAttempt: number,
  ) {
    this.nextAttempt = firstAttempt;
  }

  /** A new journal for a new run; refuses to overwrite one. */
  static create(file: string, header: Extract<JournalEntry, { type: 'run' }>): Journal {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'wx');
    closeSync(fd);
    const journal = new Journal(file, 0);
    journal.append(header);
    return journal;
  }

  /** The journal of a run being resumed: appends after what is there. */
  static reopen(file: string, read: ReadJournal): Journal {
    const journal = new Journal(file, read.nextAttempt);
    // A line cut short by a crash or a full disk is ended, so the next entry starts on a line of its own.
    if (read.endsMidLine) journal.write('\n');
    journal.append({ type: 'resumed', at: new Date().toISOString() });
    return journal;
  }

  /** Starts a runner process's record; returns its attempt number, which its events and end carry. */
  start(key: { device: string; variant: string; repeat: number }, startedAt: Date): number {
    const attempt = this.nextAttempt++;
    this.append({ type: 'start', ...key, attempt, startedAt: startedAt.toISOString() });
    return attempt;
  }

  event(attempt: number, event: RunnerEvent): void {
    this.append({ type: 'event', attempt, event });
  }

  end(key: { device: string; variant: string; repeat: number; attempt: number }, finishedAt: Date, outcome: RunnerOutcome, probes?: RepeatProbes): void {
    const { events: _events, ...rest } = outcome;
    this.append({ type: 'end', ...key, finishedAt: finishedAt.toISOString(), outcome: rest as Record<string, unknown>, ...(probes ? { probes } : {}) });
    // The end of a process is the point a resume can trust: make it durable.
    this.guard(() => {
      const fd = openSync(this.file, constants.O_WRONLY | constants.O_APPEND);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Records a failed write elsewhere in the run (results.json): the run stops the same way. */
  fail(error: Error): void {
    this.writeError ??= error;
    this.failure.abort();
  }

  private append(entry: JournalEntry): void {
    this.write(`${JSON.stringify(entry)}\n`);
  }

  private write(text: string): void {
    // Synchronous: an event is on disk before the next one is handled, and no write is lost on Ctrl-C.
    // After a failed write nothing more is attempted: the journal must not go on with a hole in it.
    // Appends never create the file: a journal removed with its folder is an error, not a new journal without its header.
    if (!this.writeError) this.guard(() => appendTo(this.file, text));
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.fail(error as Error);
    }
  }
}

/** Appends to a file that must exist (O_APPEND without O_CREAT). */
function appendTo(file: string, text: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND);
  try {
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
  } finally {
    closeSync(fd);
  }
}

export interface ReadJournal {
  /** The journal file read: its folder is the run's folder, wherever it was moved. */
  file: string;
  header: Extract<JournalEntry, { type: 'run' }>;
  /** The file's last line was cut short (a crash, a full disk). */
  endsMidLine: boolean;
  /** Processes that ended on their own (not stopped by Ctrl-C), in the order they ran. */
  completed: JournaledRun[];
  nextAttempt: number;
}

/**
 * Reads a journal back. A last line cut short (the process died while writing
 * it) is ignored; any other line that does not parse is an error naming it.
 */
export async function readJournal(file: string): Promise<ReadJournal> {
  const text = (await readBoundedFile(file, { what: 'journal' })).toString('utf8');
  const lines = text.split('\n');
  const entries: JournalEntry[] = [];
  for (const [index, line] of lines.entries()) {
    if (!line.trim()) continue;
    let parsed: JournalEntry;
    try {
      parsed = JournalEntry.parse(JSON.parse(line));
    } catch (error) {
      // A line cut short is the last one, or the last before a resume started appending.
      const last = lines.slice(index + 1).every((rest) => !rest.trim());
      if (last && !text.endsWith('\n')) break;
      if (lines[index + 1]?.startsWith('{"type":"resumed"')) continue;
      throw new Error(
        `${file}, line ${index + 1}: not a journal entry (${(error as Error).message.split('\n')[0]}); the run cannot be resumed from a damaged journal`,
      );
    }
    entries.push(parsed);
  }
  const header = entries[0];
  if (header?.type !== 'run') throw new Error(`${file}: the first line is not the run's header; the run cannot be resumed`);
  const events = new Map<number, RunnerEvent[]>();
  const starts = new Map<number, Extract<JournalEntry, { type: 'start' }>>();
  const completed: JournaledRun[] = [];
  let nextAttempt = 0;
  for (const entry of entries) {
    if (entry.type === 'start') {
      starts.set(entry.attempt, entry);
      events.set(entry.attempt, []);
      nextAttempt = Math.max(nextAttempt, entry.attempt + 1);
    } else if (entry.type === 'event') events.get(entry.attempt)?.push(entry.event);
    else if (entry.type === 'end') {
      const start = starts.get(entry.attempt);
      const outcome = { ...(entry.outcome as Omit<RunnerOutcome, 'events'>), events: events.get(entry.attempt) ?? [] };
      // A process stopped by Ctrl-C measured only part of its work: a resume runs it again.
      if (start && !outcome.canceled)
        completed.push({
          device: entry.device,
          variant: entry.variant,
          repeat: entry.repeat,
          startedAt: new Date(start.startedAt),
          finishedAt: new Date(entry.finishedAt),
          outcome,
          ...(entry.probes ? { probes: entry.probes } : {}),
        });
    }
  }
  return { file, header, completed, nextAttempt, endsMidLine: text.length > 0 && !text.endsWith('\n') };
}

/** Which fields of two fingerprints differ, in words; empty when the run can be resumed. */
export function fingerprintChanges(was: RunFingerprint, now: RunFingerprint): string[] {
  const changes: string[] = [];
  if (was.suiteSha256 !== now.suiteSha256) changes.push(`the suite ${now.suiteFile} changed`);
  if (was.devicesSha256 !== now.devicesSha256) changes.push(`the devices in ${now.devicesFile} changed`);
  if (was.datasetSha256 !== now.datasetSha256) changes.push('the dataset changed');
  for (const name of new Set([...Object.keys(was.variants), ...Object.keys(now.variants)])) {
    if (was.variants[name] !== now.variants[name])
      changes.push(
        was.variants[name] && now.variants[name]
          ? `variant ${name}'s files changed (sha256 ${was.variants[name]!.slice(0, 12)}… then, ${now.variants[name]!.slice(0, 12)}… now)`
          : `variant ${name} was ${was.variants[name] ? 'removed' : 'added'}`,
      );
  }
  if (was.repeats !== now.repeats) changes.push(`repeats changed from ${was.repeats} to ${now.repeats}`);
  if (JSON.stringify(was.ab) !== JSON.stringify(now.ab)) changes.push('the --ab settings changed');
  if (JSON.stringify(was.shard) !== JSON.stringify(now.shard)) changes.push('the --shard changed');
  return changes;
}
