import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpufreqProbe } from '../../harness/probes/cpufreq.ts';
import { hostHas, probeContext, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const cur = (cpu: number) => `/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_cur_freq`;

/** /proc/stat after core 0 spent `busy` of 100 more ticks working and the other cores idled. */
function procStat(tick: number, busy = 100): string {
  const line = (cpu: number, user: number, idle: number) => `cpu${cpu} ${user} 0 0 ${idle} 0 0 0 0 0 0`;
  return [
    'cpu  0 0 0 0 0 0 0 0 0 0',
    line(0, 1000 + tick * busy, 5000 + tick * (100 - busy)),
    ...[1, 2, 3].map((cpu) => line(cpu, 1000, 5000 + tick * 100)),
  ].join('\n');
}

describe('cpufreq probe', () => {
  let tree: SysfsTree;
  beforeEach(async () => {
    tree = await sysfsCopy('intel-laptop');
  });
  afterEach(() => tree.cleanup());

  it('detects a busy core held down during the timed phase, with the governor, from the sysfs files', async () => {
    await tree.write('/proc/stat', procStat(0));
    const probe = cpufreqProbe(probeContext(tree.root));
    expect(await probe.start(0)).toBeUndefined();
    // Core 0 runs at 4.4 GHz, then 2.8 and 2.6 GHz (thermal throttling), then recovers; cores 1-3 idle at 0.8 GHz.
    const steps = [4_400_000, 2_800_000, 2_600_000, 4_500_000];
    for (const [i, khz] of steps.entries()) {
      await tree.write(cur(0), String(khz));
      await tree.write('/proc/stat', procStat(i + 1));
      if (i < steps.length - 1) await probe.sample((i + 1) * 100);
    }
    const reading = await probe.stop(400, { start: 50, end: 400 });
    expect(reading).toMatchObject({ source: 'measured', governor: 'powersave', samples: 4 });
    if (reading.source !== 'measured') return;
    expect(reading.events).toEqual([{ cpu: 0, startMs: 200, endMs: 300, lowestRatio: 2_600_000 / 4_700_000 }]);
    expect(reading.method).toContain('(governor powersave)');
  });

  it('does not count a slow core that was idle, nor anything before the timed phase', async () => {
    await tree.write('/proc/stat', procStat(0));
    const probe = cpufreqProbe(probeContext(tree.root));
    await probe.start(0);
    await tree.write(cur(0), '1000000');
    for (const i of [1, 2, 3]) {
      await tree.write('/proc/stat', procStat(i, i === 1 ? 100 : 5));
      await probe.sample(i * 100);
    }
    const reading = await probe.stop(400, { start: 150, end: 400 });
    expect(reading).toMatchObject({ source: 'measured', events: [] });
  });

  it.runIf(!hostHas('/sys/devices/system/cpu/cpu0/cpufreq', /^scaling_cur_freq$/))('is unavailable on this machine (no cpufreq), with the reason', async () => {
    expect(await cpufreqProbe(probeContext('/')).start(0)).toBe(
      'no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq on this machine (a VM, or no cpufreq driver): throttling cannot be detected',
    );
  });
});
