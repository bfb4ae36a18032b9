import { counterDelta, joulesIn } from './energy-trace.ts';
import type { ProbeFactory } from './probe.ts';
import type { Trace } from '../core/probe-readings.ts';

export const POWERCAP_DIR = '/sys/class/powercap';

interface Zone {
  dir: string;
  name: string;
  rangeUj: number;
  lastUj: number;
  totalUj: number;
  /** Readings below the previous one that were no wrap-around (counterDelta). */
  stepsBack: number;
}

/**
 * Intel/AMD RAPL through Linux powercap: every package zone's energy_uj
 * counter (µJ), summed over sockets, with wrap-around at max_energy_range_uj.
 * A package zone covers the whole CPU package, so the figure includes
 * whatever else ran on it during the phase.
 */
export const raplProbe: ProbeFactory<'energy'> = ({ files }) => {
  let zones: Zone[] = [];
  const trace: Trace = [];

  async function read(atMs: number): Promise<void> {
    for (const zone of zones) {
      const text = await files.read(`${zone.dir}/energy_uj`);
      const uj = Number(text);
      if (text === undefined || text.trim() === '' || !Number.isFinite(uj)) continue;
      const delta = counterDelta(zone.lastUj, uj, zone.rangeUj);
      if (delta === undefined) zone.stepsBack++;
      else zone.totalUj += delta;
      zone.lastUj = uj;
    }
    trace.push([atMs, zones.reduce((sum, z) => sum + z.totalUj, 0) / 1e6]);
  }

  return {
    async start(atMs) {
      const entries = (await files.list(POWERCAP_DIR)).filter((name) => /^intel-rapl:\d+$/.test(name));
      if (entries.length === 0) return `no ${POWERCAP_DIR}/intel-rapl:* on ${files.where} (a VM, or RAPL not exposed)`;
      const found: Zone[] = [];
      for (const entry of entries) {
        const dir = `${POWERCAP_DIR}/${entry}`;
        const name = (await files.read(`${dir}/name`)) ?? entry;
        if (!name.startsWith('package-')) continue;
        let text: string | undefined;
        try {
          text = await files.read(`${dir}/energy_uj`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EACCES' || code === 'EPERM')
            return `${dir}/energy_uj is readable by root only (Linux 5.10 and later): run edgebench as root, or grant read access (sudo chmod o+r ${dir}/energy_uj, reset at reboot)`;
          throw error;
        }
        const rangeUj = Number(await files.read(`${dir}/max_energy_range_uj`));
        if (text === undefined || !Number.isFinite(Number(text))) return `${dir}/energy_uj has no value`;
        if (!Number.isFinite(rangeUj) || rangeUj <= 0) return `${dir}/max_energy_range_uj is missing: the counter's wrap-around cannot be handled`;
        found.push({ dir, name, rangeUj, lastUj: Number(text), totalUj: 0, stepsBack: 0 });
      }
      if (found.length === 0) return `no package zone among ${entries.join(', ')} in ${POWERCAP_DIR} on ${files.where}`;
      zones = found;
      trace.push([atMs, 0]);
      return undefined;
    },
    sample: read,
    async stop(atMs, window) {
      await read(atMs);
      const names = zones.map((z) => `${z.name} (${z.dir}/energy_uj)`).join(' + ');
      const stepsBack = zones.reduce((sum, z) => sum + z.stepsBack, 0);
      const stepped =
        stepsBack > 0
          ? `; the counter stepped back ${stepsBack} time${stepsBack === 1 ? '' : 's'} (a reading out of order or a reset, not a wrap-around): those steps count no energy`
          : '';
      return {
        source: 'measured',
        probe: 'rapl',
        joules: joulesIn(trace, window),
        method: `RAPL energy counter ${names}: the whole CPU package, including anything else that ran on it${stepped}`,
        trace,
      };
    },
  };
};
