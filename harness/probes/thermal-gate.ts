import type { DeviceSpec } from '../core/device-spec.ts';
import { DEFAULT_THERMAL_GATE, type ThermalGate, type ThermalOptions } from '../core/probe-options.ts';
import type { GateRecord } from '../core/probe-readings.ts';
import { filesFor, temperatureNow } from './registry.ts';

type Reading = { celsius: number; sensor: string } | { unavailable: string };

const c = (celsius: number) => `${celsius.toFixed(1)} °C`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The thermal gate: polls the temperature until it is at most the ceiling (or
 * within orWithinCOfIdle of the idle reading, when that is higher), up to the
 * timeout. Never waits when there is no sensor or the gate is off: the record
 * then says the process is thermally ungated, and why.
 */
export async function waitUntilCool(
  read: () => Promise<Reading>,
  gate: ThermalGate | 'off',
  options: { idleC?: number; signal?: AbortSignal } = {},
): Promise<GateRecord> {
  if (gate === 'off') return { status: 'off', waitedMs: 0, note: 'thermally ungated: the thermal gate is off' };
  const started = performance.now();
  const waited = () => performance.now() - started;
  const limitC =
    options.idleC !== undefined && gate.orWithinCOfIdle !== undefined ? Math.max(gate.ceilingC, options.idleC + gate.orWithinCOfIdle) : gate.ceilingC;
  const limit = limitC === gate.ceilingC ? `ceiling ${c(gate.ceilingC)}` : `idle ${c(options.idleC!)} + ${gate.orWithinCOfIdle} °C`;
  let reading = await read();
  for (;;) {
    if ('unavailable' in reading) return { status: 'no-sensor', waitedMs: waited(), note: `thermally ungated: no thermal sensor (${reading.unavailable})` };
    if (reading.celsius <= limitC)
      return {
        status: 'passed',
        waitedMs: waited(),
        celsius: reading.celsius,
        limitC,
        note: `gated: ${reading.sensor} at ${c(reading.celsius)} (${limit}) after ${seconds(waited())}`,
      };
    if (waited() >= gate.timeoutSeconds * 1000 || options.signal?.aborted) {
      const why = options.signal?.aborted ? 'the run was interrupted while waiting' : `timed out after ${gate.timeoutSeconds} s`;
      return {
        status: 'timed-out',
        waitedMs: waited(),
        celsius: reading.celsius,
        limitC,
        note: `thermally ungated: ${why}, ${reading.sensor} still at ${c(reading.celsius)} (${limit})`,
      };
    }
    await sleep(Math.min(gate.pollSeconds * 1000, Math.max(0, gate.timeoutSeconds * 1000 - waited())), options.signal);
    reading = await read();
  }
}

/**
 * The suite's thermal protocol over a run: before each runner process, the
 * fixed cooldown (after a device's first process) and the gate. A device's
 * idle temperature is its reading before its first process of the run.
 */
export class ThermalGatekeeper {
  private readonly idle = new Map<string, number | undefined>();
  private readonly ran = new Set<string>();

  constructor(private readonly options: ThermalOptions = { cooldownSeconds: 0 }) {}

  async beforeRunnerProcess(device: DeviceSpec, signal?: AbortSignal): Promise<GateRecord> {
    let cooldownMs = 0;
    if (this.ran.has(device.id) && this.options.cooldownSeconds > 0) {
      const started = performance.now();
      await sleep(this.options.cooldownSeconds * 1000, signal);
      cooldownMs = performance.now() - started;
    }
    this.ran.add(device.id);
    const gate = device.thermalGate ?? this.options.gate ?? DEFAULT_THERMAL_GATE;
    const files = filesFor(device);
    const read = () => temperatureNow(files);
    if (gate !== 'off' && !this.idle.has(device.id)) {
      const reading = await read();
      this.idle.set(device.id, 'celsius' in reading ? reading.celsius : undefined);
    }
    const idleC = this.idle.get(device.id);
    const record = await waitUntilCool(read, gate, { ...(idleC !== undefined ? { idleC } : {}), ...(signal ? { signal } : {}) });
    return cooldownMs > 0 ? { ...record, cooldownMs } : record;
  }
}
