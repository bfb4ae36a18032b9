import { execa, type ResultPromise } from 'execa';
import { integratePower, joulesIn } from './energy-trace.ts';
import type { ProbeFactory } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

/** How long the meter may take to print its first reading, and a reading after the timed phase. */
export const METER_FIRST_READING_MS = 5000;
export const METER_LAST_READING_MS = 3000;

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An external power meter (USB meter, smart plug, lab supply) given in
 * devices.yaml as a command that keeps printing one reading per line: the
 * first number on each line, stamped when the line arrives. Joules are a
 * cumulative counter; watts are integrated with the trapezoid rule. Started
 * before the runner and stopped after it, never through a shell.
 */
export const externalMeterProbe: ProbeFactory<'energy'> = ({ powerMeter, now }) => {
  let subprocess: ResultPromise | undefined;
  const readings: Trace = [];
  let stderrTail = '';
  let exited = false;

  const waitFor = async (done: () => boolean, ms: number) => {
    const until = Date.now() + ms;
    while (!done() && !exited && Date.now() < until) await sleep(10);
  };

  async function end(): Promise<string> {
    if (!subprocess) return '';
    const ranUntilStopped = !exited;
    subprocess.kill('SIGTERM');
    const result = await subprocess;
    const how =
      (result as { code?: string }).code === 'ENOENT'
        ? 'was not found'
        : ranUntilStopped
          ? 'was stopped'
          : result.signal
            ? `was killed by ${result.signal}`
            : `exited with code ${result.exitCode}`;
    return `${how}${stderrTail.trim() ? ` (stderr: ${stderrTail.trim().split('\n').slice(-2).join(' | ')})` : ''}`;
  }

  return {
    async start() {
      if (!powerMeter) return 'no powerMeter for this device in devices.yaml';
      const [file, ...args] = powerMeter.command as [string, ...string[]];
      const started = execa(file, args, { reject: false, stdin: 'ignore', buffer: false, cleanup: true });
      subprocess = started;
      let partial = '';
      started.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const match = NUMBER.exec(line);
          if (match) readings.push([now(), Number(match[0])]);
        }
      });
      started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-500)));
      void started.then(() => (exited = true));
      await waitFor(() => readings.length > 0, METER_FIRST_READING_MS);
      if (readings.length === 0)
        return `the powerMeter command (${powerMeter.command.join(' ')}) printed no reading within ${METER_FIRST_READING_MS / 1000} s: it ${await end()}`;
      return undefined;
    },
    async sample() {
      // The meter's own process streams its readings.
    },
    async stop(atMs, window) {
      const last = window?.end ?? atMs;
      await waitFor(() => readings.length > 0 && readings.at(-1)![0] >= last, METER_LAST_READING_MS);
      await end();
      const command = powerMeter!.command.join(' ');
      if (readings.length < 2) return { source: 'unavailable', reason: `the powerMeter command (${command}) printed fewer than two readings` };
      if (readings.at(-1)![0] < last)
        return {
          source: 'unavailable',
          reason: `the powerMeter command (${command}) printed no reading after the timed phase ended (${((atMs - readings.at(-1)![0]) / 1000).toFixed(1)} s without one)`,
        };
      const trace: Trace = powerMeter!.reports === 'joules' ? readings.map(([ms, joules]) => [ms, joules - readings[0]![1]]) : integratePower(readings);
      return {
        source: 'measured',
        probe: 'external-meter',
        joules: joulesIn(trace, window),
        method: `external power meter (${command}): ${powerMeter!.reports === 'joules' ? 'cumulative energy readings' : 'power readings integrated with the trapezoid rule'}, the whole device`,
        trace,
      };
    },
  };
};
