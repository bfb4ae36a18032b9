import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';
import { hostHas, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const ENERGY = '/sys/class/powercap/intel-rapl:0/energy_uj';
const noSensors =
  !hostHas('/sys/class/powercap', /^intel-rapl:/) &&
  !hostHas('/sys/class/thermal', /^thermal_zone/) &&
  !hostHas('/sys/class/hwmon', /^hwmon/) &&
  !hostHas('/sys/class/power_supply', /./);

let project: TempProject;
let laptop: SysfsTree;
beforeAll(async () => {
  [project, laptop] = await Promise.all([smallProject(), sysfsCopy('intel-laptop')]);
  // The laptop's tree stands in for a machine with RAPL, thermal zones and cpufreq; the model still runs here.
  await project.write('laptop-devices.yaml', `devices:\n  - id: laptop\n    kind: local\n    probes: { root: ${JSON.stringify(laptop.root)}, rateHz: 50 }\n`);
  await project.write('suites/hot.yaml', suiteYaml({ repeats: 2, extra: 'thermal:\n  gate: { ceilingC: 40, timeoutSeconds: 0.3, pollSeconds: 0.05 }' }));
  await project.write('suites/gated.yaml', suiteYaml({ repeats: 2, iterations: 3000, extra: 'thermal:\n  gate: { ceilingC: 70, timeoutSeconds: 5 }' }));
});
afterAll(() => Promise.all([project.cleanup(), laptop.cleanup()]));

const edgebench = (args: string[]) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } });
const read = async (runId: string) => Results.parse(JSON.parse(await readFile(project.path(`reports/${runId}/results.json`), 'utf8')));

describe('energy and thermal through the real CLI', () => {
  it.runIf(noSensors)('on this machine: every energy and thermal figure is unavailable, with the reason, in results, table and report', async () => {
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'here', '--repeats', '2']);
    expect(result.exitCode).toBe(0);
    const cell = (await read('here')).cells[0]!;
    for (const key of ['energyPerInferenceMj', 'averagePowerWatts', 'temperatureStartC', 'temperatureEndC', 'throttlingEvents'] as const) {
      expect(cell.metrics[key]!.source).toBe('unavailable');
    }
    const reasonOf = (key: 'energyPerInferenceMj' | 'temperatureStartC' | 'throttlingEvents') =>
      cell.metrics[key]!.source === 'unavailable' ? (cell.metrics[key] as { reason: string }).reason : '';
    expect(reasonOf('energyPerInferenceMj')).toContain('RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)');
    expect(reasonOf('energyPerInferenceMj')).toContain('estimate: no powerModel for this device in devices.yaml to estimate from');
    expect(reasonOf('temperatureStartC')).toBe(
      'thermal zones: no /sys/class/thermal/thermal_zone* on this machine; hwmon: no /sys/class/hwmon/hwmon* on this machine',
    );
    expect(reasonOf('throttlingEvents')).toContain('no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq on this machine');
    // The default gate found no sensor and did not wait.
    expect(cell.thermal).toMatchObject({ where: 'this machine', gating: 'no-sensor', throttling: 'unknown', probeCost: { samples: 0 } });
    for (const r of cell.repeats!) expect(r.probes!.gate.waitedMs).toBeLessThan(10_000);
    // The runner reported its timed phase, so a probe would have had a window to measure over.
    expect(cell.repeats![0]!.probes!.timedWindowMs!.end).toBeGreaterThan(cell.repeats![0]!.probes!.timedWindowMs!.start);

    expect(result.stdout).toMatch(/disk MiB\s+mJ\/inference\n/);
    expect(result.stdout).toMatch(/host\s+fp32\s+ok\s+50\s.*\s+n\/a\n/);
    expect(result.stdout).toContain(
      'energy and thermal, host:\n  energy: unavailable on this machine: external meter: no powerMeter for this device in devices.yaml; RAPL: no /sys/class/powercap/intel-rapl:* on this machine',
    );
    expect(result.stdout).toContain('  thermal gate: thermally ungated: no thermal sensor (thermal zones: no /sys/class/thermal/thermal_zone* on this machine');
    const html = await readFile(project.path('reports/here/index.html'), 'utf8');
    expect(html).toContain(
      '<span class="source unavailable">unavailable on this machine</span>: external meter: no powerMeter for this device in devices.yaml; RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)',
    );
    expect(html).toContain('No temperature was measured on any device');
  });

  it('on a machine with sensors (a fixture tree): measured RAPL energy, temperatures and a gated cell, through the same metrics', async () => {
    // The package draws 15 W: the counter advances 15 000 µJ per ms, from close to its wrap.
    const counter = laptop.energyCounter(ENERGY, { watts: 15, startUj: 262_140_000_000, rangeUj: 262_143_328_850 });
    const result = await edgebench(['run', '--suite', 'suites/gated.yaml', '--devices', 'laptop-devices.yaml', '--run-id', 'gated']);
    await counter.stop();
    expect(result.exitCode).toBe(0);
    const cell = (await read('gated')).cells[0]!;
    expect(cell.metrics.energyPerInferenceMj).toMatchObject({
      source: 'measured',
      unit: 'millijoules',
      method: expect.stringMatching(
        /^RAPL energy counter package-0 .*: energy over the timed phase \/ its iterations; median of 2 runner processes; sampled at 50 Hz/,
      ),
    });
    const watts = cell.metrics.averagePowerWatts!.source === 'measured' ? cell.metrics.averagePowerWatts!.value : Number.NaN;
    // 15 W as written; the writer and the sampler share two busy cores with the runner, so allow for their lag
    // (3000 iterations make the timed phase a few hundred ms, long against the writer's 5 ms steps and their delays).
    expect(watts).toBeGreaterThan(8);
    expect(watts).toBeLessThan(22);
    expect(cell.metrics.temperatureStartC).toMatchObject({ source: 'measured', value: 52 });
    expect(cell.metrics.throttlingEvents).toMatchObject({ source: 'measured', value: 0 });
    expect(cell.thermal).toMatchObject({ where: laptop.root, gating: 'gated', throttling: 'none' });
    expect(cell.thermal!.probeCost.samples).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/laptop\s+fp32\s+ok\s+6000\s.*\s\d+\.\d{3}\n/);
  });

  it('marks cells thermally ungated when the gate times out, and compare then refuses a verdict (incomparable)', async () => {
    const hot = await edgebench(['run', '--suite', 'suites/hot.yaml', '--devices', 'laptop-devices.yaml', '--run-id', 'hot']);
    expect(hot.exitCode).toBe(0);
    const cell = (await read('hot')).cells[0]!;
    expect(cell.thermal!.gating).toBe('timed-out');
    expect(cell.thermal!.gatingNote).toBe(
      'thermally ungated: timed out after 0.3 s, x86_pkg_temp (thermal_zone2) still at 52.0 °C (ceiling 40.0 °C) (2 of 2 runner processes)',
    );
    for (const r of cell.repeats!) expect(r.probes!.gate).toMatchObject({ status: 'timed-out', celsius: 52, limitC: 40 });
    for (const r of cell.repeats!) expect(r.probes!.gate.waitedMs).toBeGreaterThanOrEqual(290);

    const compared = await edgebench(['compare', 'reports/gated', 'reports/hot', '--all']);
    expect(compared.exitCode).toBe(0);
    expect(compared.stdout).toMatch(
      /laptop\s+fp32\s+latency\.p50\s+.*incomparable\s+thermal gating differs: baseline gated before each of 2 runner process\(es\)/,
    );
    expect(compared.stdout).toContain('warning (candidate laptop / fp32): thermally ungated: timed out after 0.3 s');
  });
});
