import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PowerMeter } from '../../harness/core/probe-options.ts';
import { externalMeterProbe } from '../../harness/probes/external-meter.ts';
import { hostFiles } from '../../harness/probes/files.ts';

const METER = join(import.meta.dirname, '../fixtures/power-meter/meter.mjs');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function probeWith(powerMeter?: PowerMeter) {
  const origin = performance.now();
  const now = () => performance.now() - origin;
  return { probe: externalMeterProbe({ deviceId: 'bench-board', files: hostFiles('/'), now, ...(powerMeter ? { powerMeter } : {}) }), now };
}

describe('external power meter probe (a real command printing readings)', () => {
  it('integrates a meter that prints watts over the timed phase', async () => {
    const { probe, now } = probeWith({ command: [process.execPath, METER, 'watts', '2.5', '20'], reports: 'watts' });
    expect(await probe.start(now())).toBeUndefined();
    await sleep(100);
    const start = now();
    await sleep(400);
    const end = now();
    const reading = await probe.stop(now(), { start, end });
    expect(reading).toMatchObject({ source: 'measured', probe: 'external-meter' });
    if (reading.source !== 'measured') return;
    // Constant 2.5 W: energy is 2.5 x the phase's duration, whatever the readings' timing.
    expect(reading.joules).toBeCloseTo((2.5 * (end - start)) / 1000, 6);
    expect(reading.trace.length).toBeGreaterThan(5);
    expect(reading.method).toContain('power readings integrated with the trapezoid rule, the whole device');
  });

  it('reads a cumulative joules counter', async () => {
    const { probe, now } = probeWith({ command: [process.execPath, METER, 'joules', '4', '20'], reports: 'joules' });
    expect(await probe.start(now())).toBeUndefined();
    const start = now();
    await sleep(500);
    const end = now();
    const reading = await probe.stop(now(), { start, end });
    expect(reading.source).toBe('measured');
    // 4 W by the meter's own clock; lines arrive a little late, so allow for pipe delays on a busy machine.
    if (reading.source === 'measured') expect(reading.joules / ((end - start) / 1000)).toBeGreaterThan(3.2);
    if (reading.source === 'measured') expect(reading.joules / ((end - start) / 1000)).toBeLessThan(4.8);
  });

  it('says why it cannot measure: no meter configured, a command that does not exist, a meter that prints nothing', async () => {
    expect(await probeWith().probe.start(0)).toBe('no powerMeter for this device in devices.yaml');
    expect(await probeWith({ command: ['/nonexistent/usb-meter', '--follow'], reports: 'watts' }).probe.start(0)).toBe(
      'the powerMeter command (/nonexistent/usb-meter --follow) printed no reading within 5 s: it was not found',
    );
    const silent = probeWith({ command: [process.execPath, METER, 'silent'], reports: 'watts' });
    expect(await silent.probe.start(0)).toMatch(/^the powerMeter command \(.*meter\.mjs silent\) printed no reading within 5 s: it was stopped$/);
  }, 20_000);
});
