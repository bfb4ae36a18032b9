import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_PROBE_RATE_HZ } from '../core/probe-options.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import type { Probe, ProbeContext, ProbeReadings, TimedWindow } from './probe.ts';
import type { RepeatProbes } from '../core/probe-readings.ts';
import { filesFor, PROBE_ORDER, probes, shellFor, type ProbeName } from './registry.ts';

type Measure = keyof ProbeReadings;

export interface ProbeSampling {
  /** Hand every runner event here (CellContext.onEvent): the timed phase's edges and the runner's CPU time arrive this way. */
  onEvent(event: RunnerEvent): void;
  /** Stops sampling; what each measure recorded over the runner process. */
  stop(): Promise<Omit<RepeatProbes, 'gate'>>;
}

const MEASURES: Measure[] = ['energy', 'temperature', 'throttling'];

/**
 * Opens the device's probes and samples them at a fixed rate in this process
 * while its runner runs (call right before runCell). Per measure the first
 * probe that can measure is used; when none can, the reasons of all of them
 * become the measure's "unavailable" reason. The time each sample takes is
 * measured: it is the probes' cost to the machine under test.
 */
export async function startProbes(device: DeviceSpec): Promise<ProbeSampling> {
  const origin = performance.now();
  const now = () => performance.now() - origin;
  const files = filesFor(device);
  const rateHz = device.probes?.rateHz ?? DEFAULT_PROBE_RATE_HZ;
  const shell = shellFor(device);
  const context: ProbeContext = {
    deviceId: device.id,
    files: typeof files === 'string' ? { where: device.id, read: async () => undefined, list: async () => [] } : files,
    now,
    ...(device.powerModel ? { powerModel: device.powerModel } : {}),
    ...(device.powerMeter ? { powerMeter: device.powerMeter } : {}),
    ...(shell ? { shell } : {}),
  };

  // Files behind a round trip answer discovery from one fetch of everything read before (an earlier cell's files).
  if (typeof files !== 'string') await files.refresh?.().catch(() => undefined);
  const chosen = new Map<Measure, Probe<ProbeReadings[Measure]>>();
  const polled: Probe<ProbeReadings[Measure]>[] = [];
  const reasons = new Map<Measure, string[]>(MEASURES.map((m) => [m, []]));
  for (const measure of MEASURES) {
    for (const name of PROBE_ORDER[measure] as readonly ProbeName[]) {
      const entry = probes[name];
      if ('needsShell' in entry && !shell) continue;
      const why = (reason: string) => reasons.get(measure)!.push(`${entry.label}: ${reason}`);
      if (entry.readsFiles && typeof files === 'string') {
        why(files);
        continue;
      }
      if (entry.sampled && rateHz === 0) {
        why('probes.rateHz is 0 for this device in devices.yaml: sampling is off');
        continue;
      }
      const probe = (entry.open as (context: ProbeContext) => Probe<ProbeReadings[Measure]>)(context);
      const reason = await probe.start(now()).catch((error: Error) => `failed to start: ${error.message}`);
      if (reason === undefined) {
        chosen.set(measure, probe);
        if (entry.sampled) polled.push(probe);
        break;
      }
      why(reason);
    }
  }

  const refresh = typeof files !== 'string' && files.refresh ? () => files.refresh!() : undefined;
  // A snapshot's values are stamped with the middle of its round trip, when the device most likely read them, not with when it was asked for.
  const refreshed = async (fetch: () => Promise<void>): Promise<number> => {
    const asked = now();
    await fetch().catch(() => undefined);
    return (asked + now()) / 2;
  };
  const costs: number[] = [];
  let skipped = 0;
  let inFlight: Promise<void> | undefined;
  const tick = (atMs = now()) => {
    if (inFlight) {
      skipped++;
      return;
    }
    const began = performance.now();
    // A device behind a round trip fetches every file the probes read in one go; the probes then read that snapshot.
    const readAt = refresh ? refreshed(refresh) : Promise.resolve(atMs);
    inFlight = readAt
      .then((at) => Promise.all(polled.map((probe) => probe.sample(at).catch(() => undefined))))
      .then(() => {
        costs.push(performance.now() - began);
        inFlight = undefined;
      });
  };
  const timer = polled.length > 0 && rateHz > 0 ? setInterval(tick, 1000 / rateHz) : undefined;

  const window: Partial<TimedWindow> = {};
  return {
    onEvent(event) {
      for (const probe of chosen.values()) probe.onRunnerEvent?.(event);
      if (event.type !== 'timed-phase') return;
      // The edges are sampled at once, so the phase does not depend on where the 10 Hz ticks fell.
      const at = now();
      if (event.edge === 'start') window.start = at;
      else {
        window.end = at;
        if (window.start === undefined && event.wallMs !== undefined) window.start = at - event.wallMs;
      }
      if (timer) tick(at);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await inFlight;
      // The last reading is fresh too (a snapshot from the last tick could be up to a period old).
      const at = refresh && chosen.size > 0 ? await refreshed(refresh) : now();
      const timedWindowMs = window.start !== undefined && window.end !== undefined ? { start: window.start, end: window.end } : undefined;
      const readings = {} as ProbeReadings;
      for (const measure of MEASURES) {
        const probe = chosen.get(measure);
        const unavailable = (reason: string) => ({ source: 'unavailable', reason }) as const;
        (readings as Record<Measure, unknown>)[measure] = probe
          ? await probe.stop(at, timedWindowMs).catch((error: Error) => unavailable(`the probe failed: ${error.message}`))
          : unavailable(reasons.get(measure)!.join('; '));
      }
      const total = costs.reduce((sum, ms) => sum + ms, 0);
      return {
        where: typeof files === 'string' ? device.id : files.where,
        ...(timedWindowMs ? { timedWindowMs } : {}),
        ...readings,
        cost: {
          rateHz: timer ? rateHz : 0,
          samples: costs.length,
          skipped,
          meanMs: costs.length ? total / costs.length : 0,
          maxMs: costs.length ? Math.max(...costs) : 0,
        },
      };
    },
  };
}
