import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import { percentileOfSorted, sortAscending } from '../stats/percentile.ts';
import type { RunProgress } from '../execute/run-progress.ts';
import type { RunSchedule } from '../schedule/run-schedule.ts';
import type { CellResult } from '../core/results.ts';
import { formatDuration } from '../schedule/eta.ts';
import { ProgressTracker } from '../schedule/progress.ts';
import { forTerminal, oneLine } from '../report/terminal-text.ts';

/** A run's progress on the terminal; `notice` shows a message at once (Ctrl-C); `close` ends the display before the results table is printed. */
export type RunDisplay = RunProgress & { notice(line: string): void; close(): Promise<void> };

/**
 * A live display (listr2: one line per device with its current process, and
 * the run's ETA) on an interactive terminal; plain lines under CI or when the
 * output is a file or pipe, where redrawing would only fill the log.
 */
export function runDisplay(log: (line: string) => void, stream: NodeJS.WriteStream = process.stderr): RunDisplay {
  return stream.isTTY && !process.env.CI ? liveDisplay(stream) : plainDisplay(log);
}

const eta = (tracker: ProgressTracker) => {
  if (tracker.done >= tracker.total) return '';
  const ms = tracker.etaMs();
  return ms === undefined ? '' : `, about ${formatDuration(ms)} left`;
};

const label = (variant: string, repeat: number, repeats: number) => `${variant}${repeats > 1 ? ` (repeat ${repeat}/${repeats})` : ''}`;

function finishedText(cell: CellResult, repeat: number): string {
  const latencies = sortAscending(cell.samples.filter((s) => (s.repeat ?? 1) === repeat).map((s) => s.latencyMs));
  return cell.status === 'ok' && latencies.length > 0
    ? `ok: p50 ${percentileOfSorted(latencies, 0.5).toFixed(3)} ms`
    : `FAILED ${cell.error?.code}: ${cell.error?.message}`;
}

/** One line per event; each names its device, since devices run side by side. */
export function plainDisplay(log: (line: string) => void): RunDisplay {
  let tracker: ProgressTracker | undefined;
  return {
    scheduled(schedule: RunSchedule) {
      tracker = new ProgressTracker(schedule);
      if (schedule.scheduling.policy !== 'serial' && tracker.deviceIds.length > 1) log(`scheduling: ${schedule.scheduling.note}`);
    },
    deviceSkipped: (device, reason) => log(`skipping optional device ${device.id}: ${reason}`),
    processSkipped: (device) => tracker?.dropped(device.id, 1),
    attemptLost: (device, variant, failure, { attempt, retries }) =>
      log(
        `      ${device.id} / ${variant.variant.name}: lost by the device (${failure.code}: ${failure.message}); running it again (retry ${attempt} of ${retries})`,
      ),
    cellStarted(device, variant, { index, total, repeat, repeats }) {
      tracker?.started(device.id, variant.variant.name);
      log(`[${index + 1}/${total}] ${device.id} / ${label(variant.variant.name, repeat, repeats)} ...`);
    },
    cellFinished(cell, { repeat }) {
      tracker?.finishedOne(cell.deviceId);
      log(
        `      ${cell.deviceId} / ${cell.variant.name}: ${finishedText(cell, repeat)}${tracker ? ` [${tracker.done}/${tracker.total} done${eta(tracker)}]` : ''}`,
      );
    },
    notice: (line) => log(`\n${line}`),
    close: async () => undefined,
  };
}

/** listr2's default renderer on stderr: a task per device whose title is its state; the results table goes to stdout after. */
function liveDisplay(stream: NodeJS.WriteStream): RunDisplay {
  let tracker: ProgressTracker | undefined;
  const titles = new Map<string, (title: string) => void>();
  const finishers = new Map<string, () => void>();
  const notes: string[] = [];
  let rendering: Promise<unknown> | undefined;
  let overall: ((title: string) => void) | undefined;
  const refresh = (deviceId: string) => {
    if (!tracker) return;
    const now = tracker.runningOn(deviceId);
    const finished = tracker.doneOf(deviceId) >= tracker.plannedOf(deviceId);
    titles.get(deviceId)?.(`${deviceId}: ${tracker.doneOf(deviceId)}/${tracker.plannedOf(deviceId)}${now ? `, running ${now}` : finished ? '' : ', waiting'}`);
    overall?.(`${tracker.done}/${tracker.total} runner processes${eta(tracker)}`);
    if (tracker.doneOf(deviceId) >= tracker.plannedOf(deviceId)) finishers.get(deviceId)?.();
  };
  return {
    scheduled(schedule) {
      tracker = new ProgressTracker(schedule);
      const deviceTask = (deviceId: string) => ({
        title: deviceId,
        task: (_: unknown, task: { title: string }) =>
          new Promise<void>((resolve) => {
            titles.set(deviceId, (title) => (task.title = oneLine(title)));
            finishers.set(deviceId, resolve);
            refresh(deviceId);
          }),
      });
      const list = new Listr(
        [
          {
            title: 'run',
            task: (_: unknown, task: { title: string }) =>
              new Promise<void>((resolve) => {
                overall = (title) => (task.title = oneLine(title));
                overall(`${tracker!.done}/${tracker!.total} runner processes`);
                finishers.set('\u0000run', resolve);
              }),
          },
          ...tracker.deviceIds.map(deviceTask),
        ],
        {
          concurrent: true,
          exitOnError: false,
          registerSignalListeners: false,
          rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }) },
        },
      );
      rendering = list.run().catch(() => undefined);
    },
    deviceSkipped: (device, reason) => notes.push(`skipping optional device ${device.id}: ${reason}`),
    processSkipped(device) {
      tracker?.dropped(device.id, 1);
      refresh(device.id);
    },
    attemptLost: (device, variant, failure, { attempt, retries }) =>
      notes.push(`${device.id} / ${variant.variant.name}: lost by the device (${failure.code}); retry ${attempt} of ${retries}`),
    cellStarted(device, variant, { repeat, repeats }) {
      tracker?.started(device.id, label(variant.variant.name, repeat, repeats));
      refresh(device.id);
    },
    cellFinished(cell, { repeat }) {
      tracker?.finishedOne(cell.deviceId);
      if (cell.status === 'failed') notes.push(`${cell.deviceId} / ${cell.variant.name}: ${finishedText(cell, repeat)}`);
      refresh(cell.deviceId);
    },
    notice(line) {
      // The display holds the terminal: the message becomes the run's line, and is printed again below it at the end.
      notes.push(line);
      overall?.(line);
    },
    async close() {
      // An interrupted run ends with devices still planned: their tasks end here.
      for (const finish of finishers.values()) finish();
      await rendering;
      for (const note of notes) stream.write(`${forTerminal(note)}\n`);
    },
  };
}
