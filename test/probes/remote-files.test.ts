import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeviceSpec } from '../../harness/core/device-spec.ts';
import { boardConnection, sshDriver } from '../../harness/devices/ssh.ts';
import type { SshSpec } from '../../harness/devices/ssh/connection.ts';
import { boardFiles } from '../../harness/probes/remote-files.ts';
import { RemoteReader } from '../../harness/probes/remote-reader.ts';
import { filesFor, temperatureNow } from '../../harness/probes/registry.ts';
import { startProbes } from '../../harness/probes/sampler.ts';
import { ThermalGatekeeper } from '../../harness/probes/thermal-gate.ts';
import { boardSpec, SSHD_BINARY, startSshd, type TestSshd } from '../helpers/sshd.ts';
import { hostHas, SYSFS_FIXTURES, sysfsCopy, type SysfsTree } from '../helpers/sysfs.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ZONE0 = '/sys/class/thermal/thermal_zone0/temp';

let sshd: TestSshd;
let pi: SysfsTree;
const specs: SshSpec[] = [];

beforeAll(async () => {
  if (!existsSync(SSHD_BINARY))
    throw new Error(`${SSHD_BINARY} not found: install Debian's openssh-server and openssh-client (bash scripts/install-system-packages.sh does)`);
  [sshd, pi] = await Promise.all([startSshd(), sysfsCopy('raspberry-pi-5')]);
});

afterAll(async () => {
  await Promise.all(specs.map((spec) => sshDriver.release!(spec)));
  await sshd?.stop();
  await pi?.cleanup();
});

/** The test's sshd as a board whose /sys is `root` on it. */
function board(root?: string, overrides: Record<string, unknown> = {}): SshSpec {
  const spec = boardSpec(sshd, { id: 'pi5', ...(root ? { probes: { root } } : {}), ...overrides });
  specs.push(spec);
  return spec;
}

describe("an SSH board's files, read through the driver's connection", () => {
  it('reads and lists under probes.root on the board, and refreshes every file read so far in one round trip', async () => {
    const spec = board(pi.root);
    const files = boardFiles(spec);
    const exec = vi.spyOn(boardConnection(spec), 'exec');
    const reads = vi.spyOn(RemoteReader.prototype, 'read');
    expect(files.where).toBe(`board pi5 over SSH (127.0.0.1), files under ${pi.root}`);
    expect(await files.list('/sys/class/thermal')).toEqual(['cooling_device0', 'thermal_zone0']);
    expect(await files.list('/sys/class/nothing-here')).toEqual([]);
    // A listing is a constant script with the directory as its quoted positional argument.
    expect(exec.mock.calls.at(-1)![0]).toBe(
      `sh -c 'cd -- "$1" 2>/dev/null || exit 0\nfor f in * .[!.]* ..?*; do\n  if [ -e "$f" ] || [ -L "$f" ]; then printf '\\''%s\\n'\\'' "$f"; fi\ndone' sh '${pi.root}/sys/class/nothing-here'`,
    );
    expect(await files.read('/sys/class/thermal/thermal_zone0/type')).toBe('cpu-thermal');
    expect(await files.read(ZONE0)).toMatch(/^\d+$/);
    expect(await files.read('/sys/class/powercap/intel-rapl:0/energy_uj')).toBeUndefined();
    // Multi-line files keep their lines.
    expect((await files.read('/proc/stat'))!.split('\n').length).toBeGreaterThan(4);
    const [live, commands] = [reads.mock.calls.length, exec.mock.calls.length];

    await pi.write(ZONE0, '71250');
    await files.refresh!();
    expect(reads.mock.calls.length).toBe(live + 1);
    expect(reads.mock.calls.at(-1)![0]).toEqual(
      ['type', 'temp']
        .map((f) => `${pi.root}/sys/class/thermal/thermal_zone0/${f}`)
        .concat([`${pi.root}/sys/class/powercap/intel-rapl:0/energy_uj`, `${pi.root}/proc/stat`]),
    );
    expect(await files.read(ZONE0)).toBe('71250');
    expect(await files.read('/sys/class/thermal/thermal_zone0/type')).toBe('cpu-thermal');
    // Reads between refreshes answer from the snapshot, without a round trip.
    await pi.write(ZONE0, '72500');
    expect(await files.read(ZONE0)).toBe('71250');
    expect(reads.mock.calls.length).toBe(live + 1);
    await files.refresh!();
    expect(await files.read(ZONE0)).toBe('72500');
    // Reads after discovery start no command on the board: they go to the reader already running there.
    expect(exec.mock.calls.length).toBe(commands);

    // The master connection closed under the reader (release, or a cell stopped): the next refresh starts a new reader.
    await sshDriver.release!(spec);
    await pi.write(ZONE0, '73750');
    await files.refresh!();
    expect(await files.read(ZONE0)).toBe('73750');
    exec.mockRestore();
    reads.mockRestore();
  });

  it('keeps a probes.root full of shell syntax one word', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgebench-board-root-'));
    const root = join(dir, `sys tree 'q' "d" $HOME \`id\` ; touch pwned`);
    try {
      await cp(join(SYSFS_FIXTURES, 'raspberry-pi-5'), root, { recursive: true });
      const files = boardFiles(board(root));
      expect(await files.read('/sys/class/thermal/thermal_zone0/type')).toBe('cpu-thermal');
      expect(await files.list('/sys/class/hwmon')).toEqual(['hwmon0', 'hwmon1']);
      expect(existsSync('pwned')).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is what the registry gives for an SSH device, and the thermal gate reads the board through it', async () => {
    const spec = board(pi.root);
    await pi.write(ZONE0, '48500');
    expect(await temperatureNow(filesFor(spec))).toEqual({ celsius: 48.5, sensor: 'cpu-thermal (thermal_zone0)' });
    const gate = await new ThermalGatekeeper({ cooldownSeconds: 0, gate: { ceilingC: 50, timeoutSeconds: 5, pollSeconds: 0.05 } }).beforeRunnerProcess(spec);
    expect(gate).toMatchObject({ status: 'passed', celsius: 48.5, limitC: 50 });
    // A board too hot waits, and the wait ends when the board cools (the file changes on the board).
    await pi.write(ZONE0, '65000');
    const cooling = setTimeout(() => void pi.write(ZONE0, '45000'), 300);
    const waited = await new ThermalGatekeeper({ cooldownSeconds: 0, gate: { ceilingC: 50, timeoutSeconds: 10, pollSeconds: 0.05 } }).beforeRunnerProcess(spec);
    clearTimeout(cooling);
    expect(waited).toMatchObject({ status: 'passed', celsius: 45 });
    expect(waited.waitedMs).toBeGreaterThan(250);
  });

  it('samples the board once per tick at 10 Hz, and records what a tick costs', async () => {
    const spec = board(pi.root, { powerModel: { name: 'pi5-datasheet', idleWatts: 2.7, activeWattsPerCore: 1.6 } });
    const exec = vi.spyOn(boardConnection(spec), 'exec');
    const reads = vi.spyOn(RemoteReader.prototype, 'read');
    await pi.write(ZONE0, '50000');
    const sampling = await startProbes(spec);
    const [atStart, commands] = [reads.mock.calls.length, exec.mock.calls.length];
    sampling.onEvent({ type: 'timed-phase', edge: 'start' });
    await sleep(400);
    await pi.write(ZONE0, '61000');
    await sleep(400);
    sampling.onEvent({ type: 'timed-phase', edge: 'end', wallMs: 800, cpuMs: 800 });
    const probes = await sampling.stop();
    const ticks = reads.mock.calls.length - atStart;
    expect(exec.mock.calls.length).toBe(commands);
    exec.mockRestore();
    reads.mockRestore();

    expect(probes.where).toBe(`board pi5 over SSH (127.0.0.1), files under ${pi.root}`);
    expect(probes.temperature).toMatchObject({ source: 'measured', probe: 'thermal-zones', sensor: 'cpu-thermal (thermal_zone0)' });
    if (probes.temperature.source === 'measured') {
      const values = probes.temperature.trace.map(([, c]) => c);
      expect(values[0]).toBe(50);
      expect(values.at(-1)).toBe(61);
    }
    expect(probes.throttling).toMatchObject({ source: 'measured', probe: 'cpufreq', governor: 'ondemand' });
    // The fixture has no energy counter: the power model's estimate, labelled as one.
    expect(probes.energy).toMatchObject({ source: 'estimated', from: expect.stringMatching(/^CPU time x pi5-datasheet/) });
    // One round trip per sample (and one for the last reading), not one per file.
    expect(ticks).toBe(probes.cost.samples + 1);
    expect(probes.cost.samples).toBeGreaterThanOrEqual(5);
    console.log(
      `sampler over SSH: ${probes.cost.samples} samples, mean ${probes.cost.meanMs.toFixed(1)} ms, max ${probes.cost.maxMs.toFixed(1)} ms, skipped ${probes.cost.skipped}`,
    );
  });

  it.runIf(
    !hostHas('/sys/class/powercap', /^intel-rapl:/) &&
      !hostHas('/sys/class/thermal', /^thermal_zone/) &&
      !hostHas('/sys/class/hwmon', /^hwmon/) &&
      !hostHas('/sys/class/power_supply', /./),
  )("against this machine's real /sys over SSH, every measure is unavailable and the reasons name the board", async () => {
    const spec = board(undefined, { id: 'vm-board' });
    const probes = await (await startProbes(spec)).stop();
    const on = 'on board vm-board over SSH (127.0.0.1)';
    expect(probes.where).toBe('board vm-board over SSH (127.0.0.1)');
    expect(probes.energy).toMatchObject({ source: 'unavailable', reason: expect.stringContaining(`RAPL: no /sys/class/powercap/intel-rapl:* ${on}`) });
    expect(probes.temperature).toEqual({
      source: 'unavailable',
      reason: `thermal zones: no /sys/class/thermal/thermal_zone* ${on}; hwmon: no /sys/class/hwmon/hwmon* ${on}`,
    });
    expect(probes.throttling).toMatchObject({
      source: 'unavailable',
      reason: expect.stringContaining(`cpufreq: no /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq ${on}`),
    });
    expect(await temperatureNow(filesFor(spec))).toMatchObject({ unavailable: expect.stringContaining(on) });
  });

  it('says which board could not be reached, naming the fix', async () => {
    const spec = board(pi.root, { id: 'off', identityFile: sshd.wrongIdentityFile });
    const probes = await (await startProbes(spec)).stop();
    expect(probes.temperature).toMatchObject({
      source: 'unavailable',
      reason: expect.stringMatching(/^thermal zones: failed to start: device off \(.*\): the board refused the SSH key/),
    });
  });
});

describe('devices whose files cannot be read from here', () => {
  it('an iPhone and a farm phone say why', async () => {
    const farm = DeviceSpec.parse({ id: 'farm', kind: 'appium', platform: 'android', server: { url: 'https://farm.example/wd/hub' } });
    expect(filesFor(farm)).toMatch(/^the phone is on a device farm behind .*: its USB is not this machine's/);
  });
});
