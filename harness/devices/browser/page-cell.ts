import type { RunnerEvent } from '../../core/runner-protocol.ts';
import type { RunnerOutcome } from '../../runner/spawn.ts';
import type { CellContext } from '../driver.ts';
import { DeviceFailure, Stopped } from './page-session.ts';

/** What a page cell's body sees: the stop signal, the event sink, and where it leaves what the outcome reports. */
export interface PageCell {
  /** Fires on timeout and on Ctrl-C. */
  stop: AbortSignal;
  emit(event: RunnerEvent): void;
  events: readonly RunnerEvent[];
  /** Runs after the body, last registered first, whatever happened (closing browsers, servers, sessions). */
  onCleanup(cleanup: () => Promise<unknown>): void;
  /** The end of the browser's or server's log, for error messages. */
  log: () => string;
  /** The cell's conditions in words; read after the body, so it may use the events. */
  constraints: () => Promise<string>;
  memoryUnavailable?: string;
}

/**
 * The plumbing every driver that runs the runner page shares: a timeout and
 * Ctrl-C stop the body; DeviceFailure becomes the cell's error code; anything
 * else the browser throws means the device was lost; samples streamed before
 * a failure stay in the outcome. Never throws.
 */
export async function runPageCell(deviceId: string, context: CellContext, body: (cell: PageCell) => Promise<void>): Promise<RunnerOutcome> {
  const events: RunnerEvent[] = [];
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, context.timeoutMs);
  const cancel = () => stop.abort();
  context.signal?.addEventListener('abort', cancel, { once: true });
  if (context.signal?.aborted) stop.abort();

  const cleanups: (() => Promise<unknown>)[] = [];
  const cell: PageCell = {
    stop: stop.signal,
    emit(event) {
      events.push(event);
      context.onEvent?.(event);
    },
    events,
    onCleanup: (cleanup) => cleanups.unshift(cleanup),
    log: () => '',
    constraints: async () => '',
  };
  let failure: { code: string; message: string } | undefined;
  let finished = false;
  try {
    if (stop.signal.aborted) throw new Stopped('stopped');
    await body(cell);
    finished = true;
  } catch (error) {
    if (error instanceof DeviceFailure) failure = { code: error.code, message: `device ${deviceId}: ${error.message}` };
    else if (!(error instanceof Stopped))
      failure = { code: 'DEVICE_LOST', message: `device ${deviceId}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', cancel);
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
  return {
    events,
    exitCode: finished ? 0 : undefined,
    signal: undefined,
    timedOut,
    canceled: !timedOut && stop.signal.aborted,
    stderrTail: cell.log().slice(-4000),
    strayLines: [],
    constraints: await cell.constraints(),
    ...(cell.memoryUnavailable ? { memoryUnavailable: cell.memoryUnavailable } : {}),
    ...(failure && !stop.signal.aborted ? { deviceFailure: failure } : {}),
  };
}

/** `work`, unless the cell is stopped first (a cleanup registered beside it closes what `work` opens later). */
export function unlessStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(new Stopped('stopped'));
    if (stop.aborted) return onStop();
    stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}
