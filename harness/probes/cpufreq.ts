import { readNumber, type DeviceFiles, type ProbeFactory } from './probe.ts';
import { THROTTLE_RATIO, throttleEvents, type FrequencySample } from './throttling.ts';

export const CPU_DIR = '/sys/devices/system/cpu';

/** Per-core jiffies from /proc/stat: total, and idle + iowait. */
async function cpuTimes(files: DeviceFiles): Promise<Map<number, { total: number; idle: number }>> {
  const text = await files.read('/proc/stat').catch(() => undefined);
  const times = new Map<number, { total: number; idle: number }>();
  for (const line of text?.split('\n') ?? []) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const fields = match[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = fields.slice(0, 8).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
    times.set(Number(match[1]), { total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) });
  }
  return times;
}

/**
 * cpufreq: each core's scaling_cur_freq against its cpuinfo_max_freq (kHz),
 * with how busy it was from /proc/stat, for throttle detection; and the
 * scaling governor, which decides how fast an unthrottled core runs.
 */
export const cpufreqProbe: ProbeFactory<'throttling'> = ({ files }) => {
  let cores: { cpu: number; maxKHz: number }[] = [];
  let governor: string | undefined;
  let lastTimes = new Map<number, { total: number; idle: number }>();
  const trace: FrequencySample[] = [];

  async function read(atMs: number): Promise<void> {
    const times = await cpuTimes(files);
    const sample: FrequencySample = { atMs, cores: [] };
    for (const { cpu, maxKHz } of cores) {
      const curKHz = await readNumber(files, `${CPU_DIR}/cpu${cpu}/cpufreq/scaling_cur_freq`);
      if (curKHz === undefined) continue;
      const [now, before] = [times.get(cpu), lastTimes.get(cpu)];
      const elapsed = now && before ? now.total - before.total : 0;
      sample.cores.push({ cpu, curKHz, maxKHz, ...(now && before && elapsed > 0 ? { busy: 1 - (now.idle - before.idle) / elapsed } : {}) });
    }
    lastTimes = times;
    trace.push(sample);
  }

  return {
    async start() {
      const cpus = (await files.list(CPU_DIR)).filter((name) => /^cpu\d+$/.test(name)).map((name) => Number(name.slice(3)));
      for (const cpu of cpus.sort((a, b) => a - b)) {
        const maxKHz = await readNumber(files, `${CPU_DIR}/cpu${cpu}/cpufreq/cpuinfo_max_freq`);
        if (maxKHz !== undefined && maxKHz > 0 && (await readNumber(files, `${CPU_DIR}/cpu${cpu}/cpufreq/scaling_cur_freq`)) !== undefined)
          cores.push({ cpu, maxKHz });
      }
      if (cores.length === 0)
        return `no ${CPU_DIR}/cpu*/cpufreq/scaling_cur_freq on ${files.where} (a VM, or no cpufreq driver): throttling cannot be detected`;
      governor = await files.read(`${CPU_DIR}/cpu${cores[0]!.cpu}/cpufreq/scaling_governor`).catch(() => undefined);
      lastTimes = await cpuTimes(files);
      return undefined;
    },
    sample: read,
    async stop(atMs, window) {
      await read(atMs);
      // Only the timed phase counts: a core clocking up while the model loads is not throttling.
      const timed = window ? trace.filter((s) => s.atMs >= window.start && s.atMs <= window.end) : [];
      const inPhase = timed.length >= 2 ? timed : trace;
      return {
        source: 'measured',
        probe: 'cpufreq',
        ...(governor ? { governor } : {}),
        method: `${CPU_DIR}/cpu*/cpufreq scaling_cur_freq against cpuinfo_max_freq, busy share from /proc/stat: a busy core below ${THROTTLE_RATIO * 100}% of its maximum for two or more consecutive samples is throttled${governor ? ` (governor ${governor})` : ''}${inPhase === trace ? '; over the whole runner process (the timed phase was shorter than two samples)' : ''}`,
        samples: inPhase.length,
        events: throttleEvents(inPhase),
      };
    },
  };
};
