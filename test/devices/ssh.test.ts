import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, homedir, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allExited, allProcesses, isAlive, readProcess } from '../../harness/system/processes.ts';
import { SshDeviceSpec } from '../../harness/core/device-spec.ts';
import type { CellContext } from '../../harness/devices/driver.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { boardConnection, pushForJob, sshDriver } from '../../harness/devices/ssh.ts';
import { CONTROL_DIR, SshConnection, type SshSpec } from '../../harness/devices/ssh/connection.ts';
import { cachedFile, pushFiles } from '../../harness/devices/ssh/push.ts';
import { shellWord } from '../../harness/devices/ssh/quote.ts';
import { sha256File } from '../../harness/files/hash.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { CellResult, Results } from '../../harness/core/results.ts';
import { smallProject, type TempProject } from '../helpers/project.ts';
import { boardYaml, freePort, SSHD_BINARY, startSshd, type TestSshd } from '../helpers/sshd.ts';
import { classifyJob } from '../helpers/jobs.ts';
import { sysfsCopy } from '../helpers/sysfs.ts';
import { startProbes } from '../../harness/probes/sampler.ts';
import { ThermalGatekeeper } from '../../harness/probes/thermal-gate.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let sshd: TestSshd;
let project: TempProject;
let plan: RunPlan;
let boards: string;
/** The board's cache: a folder whose name needs quoting in every remote command. */
let remoteDir: string;
const specs: SshSpec[] = [];

beforeAll(async () => {
  if (!existsSync(SSHD_BINARY))
    throw new Error(`${SSHD_BINARY} not found: install Debian's openssh-server and openssh-client (bash scripts/install-system-packages.sh does)`);
  [sshd, project] = await Promise.all([startSshd(), smallProject()]);
  plan = await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
  boards = await mkdtemp(join(tmpdir(), 'edgebench-board-'));
  remoteDir = join(boards, `cache dir 'quoted' "double" $HOME \`id\` ; rm -rf x`);
});

afterAll(async () => {
  await Promise.all(specs.map((spec) => sshDriver.release!(spec)));
  await sshd?.stop();
  await project?.cleanup();
  if (boards) await rm(boards, { recursive: true, force: true });
  // Every master connection this file opened is closed.
  expect(masters()).toEqual([]);
});

/** The test's sshd as a board: this machine, reached over SSH as the current user. */
function boardSpec(overrides: Partial<SshSpec> = {}, server: TestSshd = sshd): SshSpec {
  const spec = SshDeviceSpec.parse({
    id: 'board',
    kind: 'ssh',
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    identityFile: server.identityFile,
    sshConfig: server.clientConfig,
    sshOptions: { UserKnownHostsFile: server.knownHosts },
    remoteDir,
    node: process.execPath,
    ...overrides,
  });
  specs.push(spec);
  return spec;
}

/** ssh master processes of a process ("ssh: <control path> [mux]"): daemons, so they are looked for among all processes. */
const masters = (pid = process.pid) =>
  allProcesses()
    .filter((p) => p.state !== 'Z' && p.args.join(' ').includes(`${CONTROL_DIR}/${pid}-`))
    .map((p) => p.args.join(' '));

const jobFor = (overrides: Partial<RunnerJob> = {}): RunnerJob => classifyJob(plan, overrides);

async function measure(deviceId: string, runCell: () => Promise<RunnerOutcome>, timeoutMs = 60_000) {
  const startedAt = new Date();
  const outcome = await runCell();
  const cell = CellResult.parse(
    cellResult({ deviceId, variant: plan.variants[0]!.variant, runs: [{ startedAt, finishedAt: new Date(), outcome }], timeoutMs }),
  );
  return { outcome, cell };
}
const onBoard = (spec: SshSpec, job = jobFor(), context: Partial<CellContext> = {}) =>
  measure(spec.id, () => sshDriver.runCell(spec, job, { timeoutMs: 60_000, ...context }), context.timeoutMs);
const onHost = (job = jobFor()) => measure('host', () => localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 }));
const connections = () => sshd.log().match(/Accepted publickey for /g)?.length ?? 0;

describe('ssh driver: a board behind a real OpenSSH server', () => {
  it('runs the classifier on the board, over one reused connection, and predicts exactly what the local driver predicts', async () => {
    const spec = boardSpec();
    const before = connections();
    const facts = await sshDriver.facts(spec);
    const streamed: string[] = [];
    const board = await onBoard(spec, jobFor(), { onEvent: (e) => streamed.push(e.type) });
    const again = await onBoard(spec);
    const local = await onHost();

    const { cell } = board;
    expect(cell.error).toBeUndefined();
    expect(cell.status).toBe('ok');
    expect(again.cell.status).toBe('ok');
    expect(streamed[0]).toBe('hello');
    expect(streamed.at(-1)).toBe('done');
    expect(cell.warmupLatenciesMs).toHaveLength(2);
    expect(cell.samples.map((s) => s.iteration)).toEqual([...Array(15).keys()]);
    expect(cell.runtime).toMatchObject({ platform: 'linux', arch: 'x64', onnxruntime: '1.30.0', node: process.version });
    // Same binaries, same model, same inputs: the same logits, bit for bit.
    expect(cell.outputs).toHaveLength(10);
    expect(cell.outputs).toEqual(local.cell.outputs);
    expect(again.cell.outputs).toEqual(local.cell.outputs);
    // Memory is the runner's own reading on the board.
    expect(cell.metrics.peakRssBytes).toMatchObject({ source: 'measured', method: 'VmHWM from /proc/self/status' });
    expect(cell.metrics.modelRssBytes.source).toBe('measured');
    // Facts, probe, push and two cells: one SSH connection (one login on the server).
    expect(connections() - before).toBe(1);

    // The board is this machine: its facts are this machine's.
    expect(facts).toMatchObject({ arch: 'x64', kernel: release(), logicalCores: cpus().length, memoryBytes: totalmem() });
    expect(facts.cpuModel).not.toMatch(/unknown/);
    expect(facts.os).toMatch(/\S/);
    expect(facts.source).toBe(
      `read over SSH from ${sshd.user}@127.0.0.1:${sshd.port}: uname, lscpu, /proc/cpuinfo, /proc/meminfo, /etc/os-release, /proc/device-tree/model or DMI, cpufreq`,
    );
    const governor = '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor';
    expect(facts.cpuGovernor).toBe(
      existsSync(governor) ? readFileSync(governor, 'utf8').trim() : `unavailable: the board has no ${governor} (no cpufreq driver for its CPU)`,
    );
    expect(facts.boardModel).toMatch(/\S/);
    expect(await sshDriver.unavailable!(spec)).toBeUndefined();

    // The cache is where remoteDir says, quotes, spaces and all; nothing was expanded or run from its name.
    expect(existsSync(join(remoteDir, 'variants'))).toBe(true);
    expect(existsSync(join(boards, 'x'))).toBe(false);

    await sshDriver.release!(spec);
    expect(masters()).toEqual([]);
  }, 90_000);

  it('pushes a variant once: the second push is a cache hit that leaves the cached files untouched', async () => {
    const spec = boardSpec({ remoteDir: join(boards, 'fresh') });
    const first = await pushForJob(spec, jobFor());
    expect(first.pushed.length).toBe(first.files);
    expect(first.pushedBytes).toBe(first.bytes);
    const names = first.pushed.map((p) => p.remote);
    expect(names).toContainEqual(
      expect.stringMatching(
        /^runtimes\/onnxruntime-node-1\.30\.0-linux-x64-[0-9a-f]{16}\/node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/onnxruntime_binding\.node$/,
      ),
    );
    expect(names).toContainEqual(expect.stringMatching(/^runtimes\/onnxruntime-node-1\.30\.0-linux-x64-[0-9a-f]{16}\/runner-[0-9a-f]{16}\.mjs$/));
    expect(names).toContainEqual(expect.stringMatching(/^variants\/[0-9a-f]{16}\/model\.onnx$/));
    expect(names.some((name) => name.includes('/linux/arm64/'))).toBe(false);

    const model = join(
      spec.remoteDir,
      names.find((name) => name.startsWith('variants/'))!,
    );
    const mtimeMs = (await stat(model)).mtimeMs;
    const second = await pushForJob(spec, jobFor());
    expect(second).toMatchObject({ files: first.files, bytes: first.bytes, pushed: [], pushedBytes: 0 });
    const { cell } = await onBoard(spec);
    expect(cell.status).toBe('ok');
    expect((await stat(model)).mtimeMs).toBe(mtimeMs);
  }, 90_000);

  it('catches a corrupted cached file by its sha256 before the runner starts, and pushes it again', async () => {
    const spec = boardSpec({ remoteDir: join(boards, 'corrupt') });
    const { pushed } = await pushForJob(spec, jobFor());
    const model = join(spec.remoteDir, pushed.find((p) => p.remote.startsWith('variants/'))!.remote);
    const good = await sha256File(model);
    const bytes = await readFile(model);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    await writeFile(model, bytes);

    const { cell } = await onBoard(spec);
    expect(cell.status).toBe('ok');
    expect(cell.outputs).toEqual((await onHost()).cell.outputs);
    expect(await sha256File(model)).toBe(good);
  }, 90_000);

  it('creates every folder in one command before the transfers, which then run side by side and create none', async () => {
    const spec = boardSpec({ remoteDir: join(boards, 'folders') });
    const connection = boardConnection(spec);
    const local = await mkdtemp(join(tmpdir(), 'edgebench-push-'));
    // A file sent alone and small files sent by tar into the same deep folders, as onnxruntime-node's binaries are.
    const layout = [
      ['deep/a/b/big.bin', 2 << 20],
      ...Array.from({ length: 40 }, (_, i) => [`deep/a/b/small-${i}.txt`, 100 + i] as const),
      ...Array.from({ length: 40 }, (_, i) => [`deep/a/c${i % 7}/d/small-${i}.txt`, 50] as const),
    ] as const;
    const files = await Promise.all(
      layout.map(async ([remote, bytes], i) => {
        const file = join(local, `f${i}`);
        await writeFile(file, Buffer.alloc(bytes, i));
        return cachedFile(file, remote);
      }),
    );
    const commands: string[] = [];
    const exec = connection.exec.bind(connection);
    connection.exec = (script, options) => {
      commands.push(script);
      return exec(script, options);
    };
    try {
      const report = await pushFiles(connection, spec.remoteDir, files, undefined, { tar: true });
      expect(report.pushed).toHaveLength(files.length);
    } finally {
      connection.exec = exec;
      await rm(local, { recursive: true, force: true });
    }
    const [check, mkdirs, ...transfers] = commands;
    expect(check).toMatch(/sha256sum -c/);
    expect(mkdirs).toMatch(/^mkdir -p -- /);
    // Only the deepest folders are named: mkdir -p makes their parents.
    expect(mkdirs!.match(/'[^']*'/g)).toHaveLength(1 + 7);
    expect(transfers.some((command) => /^tar -x/.test(command))).toBe(true);
    expect(transfers.some((command) => /^cat > /.test(command))).toBe(true);
    expect(transfers.filter((command) => command.includes('mkdir'))).toEqual([]);
    for (const file of files) expect(await sha256File(join(spec.remoteDir, file.remote))).toBe(file.sha256);
  }, 60_000);

  it("a transfer the board refuses is a DeviceProblem quoting tar's own reason, not only its closing line", async () => {
    const spec = boardSpec({ remoteDir: join(boards, 'refused') });
    const local = await mkdtemp(join(tmpdir(), 'edgebench-push-'));
    // Where a small file must go, the board holds a folder that is not empty: tar cannot replace it.
    await mkdir(join(spec.remoteDir, 'x', 'small.txt', 'inside'), { recursive: true });
    try {
      await writeFile(join(local, 'small.txt'), 'small');
      await writeFile(join(local, 'other.txt'), 'other');
      const files = [await cachedFile(join(local, 'small.txt'), 'x/small.txt'), await cachedFile(join(local, 'other.txt'), 'x/other.txt')];
      const pushed = pushFiles(boardConnection(spec), spec.remoteDir, files, undefined, { tar: true });
      await expect(pushed).rejects.toThrow(
        /^device board: 2 files \(10 bytes, x\/small\.txt first\) could not be written on the board \(tar: x\/small\.txt: Cannot open: /,
      );
      await expect(pushed).rejects.not.toThrow(/Exiting with failure status/);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  }, 60_000);

  it('pins the runner to the cores in cpus with taskset, and says so', async () => {
    const spec = boardSpec({ cpus: [0] });
    let allowed: string | undefined;
    const { cell } = await onBoard(spec, jobFor(), {
      onEvent: (e) => {
        // The board is this machine: the runner's affinity can be read while it runs.
        if (e.type === 'hello' && e.pid !== undefined) allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${e.pid}/status`, 'utf8'))?.[1];
      },
    });
    expect(cell.status).toBe('ok');
    expect(allowed).toBe('0');
    expect(cell.constraints).toBe('runner pinned to core 0 of the board with taskset (no CPU quota or memory cap)');
    expect((await sshDriver.facts(spec)).constraints).toBe(cell.constraints);
  }, 60_000);

  it('stops the runner on the board when the cell times out, though the runner does not notice the closed connection', async () => {
    // A runner deaf to its closed stdout (as one inside a long inference would be), that notes the SIGTERM it gets.
    const marker = join(boards, 'deaf-runner.signal');
    const hook = join(boards, 'deaf-runner.cjs');
    await writeFile(
      hook,
      `process.stdout.on('error', () => {});\nprocess.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'SIGTERM'); process.exit(143); });\n`,
    );
    const node = join(boards, 'deaf-node');
    await writeFile(node, `#!/bin/sh\nexec ${shellWord(process.execPath)} --require ${shellWord(hook)} "$@"\n`);
    await chmod(node, 0o755);
    let pid: number | undefined;
    try {
      const { outcome, cell } = await onBoard(boardSpec({ node }), jobFor({ iterations: 50_000_000 }), {
        timeoutMs: 4000,
        onEvent: (e) => (pid = e.type === 'hello' ? e.pid : pid),
      });
      expect(outcome.timedOut).toBe(true);
      expect(cell.error?.code).toBe('TIMEOUT');
      expect(cell.samples.length).toBeGreaterThan(0);
      expect(await readFile(marker, 'utf8')).toBe('SIGTERM');
      expect(isAlive(pid!)).toBe(false);
    } finally {
      // Such a runner outlives a failed test otherwise: the board is this machine.
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});

describe("ssh driver: the board's sensors sampled during a cell", () => {
  it("gives measured temperature and throttling from the board's files, changing during the cell, through the same single connection", async () => {
    const pi = await sysfsCopy('raspberry-pi-5');
    const zone = '/sys/class/thermal/thermal_zone0/temp';
    try {
      await pi.write(zone, '52000');
      const spec = boardSpec({ id: 'pi5', probes: { root: pi.root }, powerModel: { name: 'pi5-datasheet', idleWatts: 2.7, activeWattsPerCore: 1.6 } });
      const before = connections();
      // As the run loop does: the gate, the probes, the cell, the probes' record.
      const gate = await new ThermalGatekeeper({ cooldownSeconds: 0, gate: { ceilingC: 70, timeoutSeconds: 10, pollSeconds: 0.2 } }).beforeRunnerProcess(spec);
      const sampling = await startProbes(spec);
      const startedAt = new Date();
      // A timed phase of about a second: long enough for ticks after the board heats up, even on a loaded machine.
      const outcome = await sshDriver.runCell(spec, jobFor({ iterations: 50_000 }), {
        timeoutMs: 60_000,
        onEvent: (event) => {
          sampling.onEvent(event);
          // The board heats up once the timed phase has begun.
          if (event.type === 'timed-phase' && event.edge === 'start') void pi.write(zone, '66500');
        },
      });
      const probes = { ...(await sampling.stop()), gate };
      const cell = CellResult.parse(
        cellResult({
          deviceId: spec.id,
          variant: plan.variants[0]!.variant,
          runs: [{ startedAt, finishedAt: new Date(), outcome, probes }],
          timeoutMs: 60_000,
        }),
      );

      expect(cell.status).toBe('ok');
      expect(gate).toMatchObject({ status: 'passed', celsius: 52 });
      expect(probes.where).toBe(`board pi5 over SSH (127.0.0.1), files under ${pi.root}`);
      expect(probes.temperature).toMatchObject({ source: 'measured', probe: 'thermal-zones', sensor: 'cpu-thermal (thermal_zone0)' });
      expect(probes.throttling).toMatchObject({ source: 'measured', probe: 'cpufreq', governor: 'ondemand' });
      if (probes.temperature.source === 'measured') expect(new Set(probes.temperature.trace.map(([, c]) => c))).toEqual(new Set([52, 66.5]));
      expect(cell.metrics.temperatureStartC).toMatchObject({ source: 'measured', unit: 'celsius' });
      expect(cell.metrics.temperatureEndC).toMatchObject({ source: 'measured', value: 66.5 });
      expect(cell.metrics.throttlingEvents).toMatchObject({ source: 'measured', value: 0 });
      // The Pi has no energy counter: the power model's estimate, labelled as one.
      expect(cell.metrics.energyPerInferenceMj).toMatchObject({ source: 'estimated', from: expect.stringMatching(/^CPU time x pi5-datasheet/) });
      expect(cell.thermal).toMatchObject({ where: probes.where, gating: 'gated', probeCost: { rateHz: 10 } });
      expect(cell.thermal!.probeCost.samples).toBeGreaterThan(0);
      // Gate, probes and cell: one SSH login on the server.
      expect(connections() - before).toBe(1);
      console.log(
        `cell on the board sampled at 10 Hz over SSH: ${probes.cost.samples} samples (${probes.cost.skipped} ticks skipped), mean ${probes.cost.meanMs.toFixed(1)} ms, max ${probes.cost.maxMs.toFixed(1)} ms per sample`,
      );
      // release() ends the sensor reader riding the master, and then the master.
      const { controlPath } = boardConnection(spec);
      const riding = masters().filter((m) => m.includes(controlPath));
      expect(riding.filter((m) => m.endsWith('[mux]'))).toHaveLength(1);
      expect(riding.some((m) => m.includes(' sh -c '))).toBe(true);
      await sshDriver.release!(spec);
      expect(masters().filter((m) => m.includes(controlPath))).toEqual([]);
    } finally {
      await pi.cleanup();
    }
  }, 90_000);
});

describe('ssh driver: faults, each named with the device and the fix', () => {
  it('a key the board does not accept', async () => {
    const spec = boardSpec({ id: 'wrong-key', identityFile: sshd.wrongIdentityFile });
    const problem = await sshDriver.unavailable!(spec);
    expect(problem).toBe(
      `device wrong-key (${sshd.user}@127.0.0.1:${sshd.port}): the board refused the SSH key (${sshd.user}@127.0.0.1: Permission denied (publickey).): check that identityFile ${sshd.wrongIdentityFile} is the private key whose .pub line is in ~/.ssh/authorized_keys of ${sshd.user} on the board. edgebench never types passwords or passphrases (BatchMode)`,
    );
    const { cell } = await onBoard(spec);
    expect(cell.error).toEqual({ code: 'DEVICE_UNAVAILABLE', message: problem });
    await expect(sshDriver.facts(spec)).rejects.toThrow(problem!);
    // No key material in what is reported.
    const keyLines = (await readFile(sshd.wrongIdentityFile, 'utf8')).split('\n').filter((line) => line.length > 20);
    for (const line of keyLines) expect(problem).not.toContain(line);
  });

  it('a port nothing listens on', async () => {
    const port = await freePort();
    const spec = boardSpec({ id: 'no-sshd', port });
    const { cell } = await onBoard(spec);
    expect(cell.error?.code).toBe('DEVICE_UNAVAILABLE');
    expect(cell.error?.message).toBe(
      `device no-sshd (${sshd.user}@127.0.0.1:${port}): nothing accepts SSH connections there (ssh: connect to host 127.0.0.1 port ${port}: Connection refused): check that the board is on and its SSH server runs, and the host and port in devices.yaml`,
    );
  });

  it('no Node.js on the board, and one that is too old', async () => {
    const missing = boardSpec({ id: 'no-node', node: '/opt/nowhere/bin/node' });
    expect(await sshDriver.unavailable!(missing)).toBe(
      `device no-node (${sshd.user}@127.0.0.1:${sshd.port}): no Node.js on the board ("/opt/nowhere/bin/node" not found for this login): install Node.js 18 or newer there (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to its absolute path (SSH commands do not read the PATH that nvm sets in ~/.bashrc)`,
    );
    const { cell } = await onBoard(missing);
    expect(cell.error?.code).toBe('DEVICE_UNAVAILABLE');
    expect(cell.error?.message).toContain('no Node.js on the board');

    const oldNode = join(boards, 'old node', 'node');
    await mkdir(join(oldNode, '..'), { recursive: true });
    await writeFile(oldNode, '#!/bin/sh\necho v16.20.2\n');
    await chmod(oldNode, 0o755);
    expect(await sshDriver.unavailable!(boardSpec({ id: 'old-node', node: oldNode }))).toBe(
      `device old-node (${sshd.user}@127.0.0.1:${sshd.port}): Node.js v16.20.2 on the board is too old: the runner needs Node.js 18 or newer; upgrade it (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to a newer one`,
    );
  });

  it('a host key other than the one recorded', async () => {
    const knownHosts = join(boards, 'known_hosts');
    // Another key recorded for [127.0.0.1]:port, as after the board was reinstalled.
    const [type, key] = (await readFile(`${sshd.wrongIdentityFile}.pub`, 'utf8')).split(' ');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${type} ${key}\n`);
    const spec = boardSpec({ id: 'new-host-key', sshOptions: { UserKnownHostsFile: knownHosts } });
    expect(await sshDriver.unavailable!(spec)).toBe(
      `device new-host-key (${sshd.user}@127.0.0.1:${sshd.port}): the board's host key is not the one recorded in ${knownHosts} (Host key verification failed.): if the board was reinstalled, remove the old key with ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${knownHosts} and run again; otherwise find out why it changed`,
    );
  });

  it('a runner killed on the board (as by the OOM killer) is RUNNER_KILLED with its signal', async () => {
    let pid: number | undefined;
    const { cell } = await onBoard(boardSpec(), jobFor({ iterations: 50_000_000 }), {
      // The board is this machine: its runner can be killed from here.
      onEvent: (e) => {
        if (e.type === 'hello') pid = e.pid;
        if (e.type === 'samples' && e.phase === 'timed' && pid !== undefined) {
          process.kill(pid, 'SIGKILL');
          pid = undefined;
        }
      },
    });
    expect(cell.error?.code).toBe('RUNNER_KILLED');
    expect(cell.error?.message).toMatch(/^the runner was killed by SIGKILL/);
    expect(cell.samples.length).toBeGreaterThan(0);
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)('a full disk on the board (a 1 MiB tmpfs as remoteDir)', async () => {
    const small = join(boards, 'small disk');
    await mkdir(small, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      const spec = boardSpec({ id: 'full', remoteDir: small });
      const { cell } = await onBoard(spec);
      expect(cell.error?.code).toBe('DEVICE_UNAVAILABLE');
      expect(cell.error?.message).toMatch(
        new RegExp(
          `^device full: the board's disk is full: ${small}/\\S+ \\(\\d+ bytes\\) could not be written \\(.*No space left on device\\)\\. Free space on the board \\(everything under ${small} may go: it is pushed again when needed\\) or set remoteDir in devices\\.yaml to a larger disk$`,
        ),
      );
      // Nothing half-written is left behind.
      const { stdout } = await execa('find', [small, '-name', '*.partial-*']);
      expect(stdout).toBe('');
    } finally {
      await execa('umount', [small]);
    }
  });

  it('sshd killed mid-run: the cell is DEVICE_LOST and keeps the samples received', async () => {
    const server = await startSshd();
    try {
      const spec = boardSpec({ id: 'lost' }, server);
      let pid: number | undefined;
      let killing: Promise<void> | undefined;
      const { cell } = await onBoard(spec, jobFor({ iterations: 50_000_000 }), {
        onEvent: (e) => {
          if (e.type === 'hello') pid = e.pid;
          if (e.type === 'samples' && e.phase === 'timed') killing ??= server.killSshd();
        },
      });
      await killing;
      expect(cell.status).toBe('failed');
      expect(cell.error?.code).toBe('DEVICE_LOST');
      expect(cell.samples.length).toBeGreaterThan(0);
      expect(cell.error?.message).toMatch(
        new RegExp(
          `^device lost \\(${server.user}@127\\.0\\.0\\.1:${server.port}\\): the SSH connection was lost during the cell \\(.+\\); the ${cell.samples.length} timed samples received before are kept\\. Now nothing accepts SSH connections there \\(.*Connection refused\\): check that the board is on and its SSH server runs, and the host and port in devices\\.yaml\\.$`,
        ),
      );
      expect(cell.metrics.latencyMs).toMatchObject({ source: 'unavailable', reason: 'the cell failed (DEVICE_LOST)' });
      // The runner, orphaned on the board, ends at its next write to the closed connection.
      await allExited([{ pid: pid! }], 5000);
      expect(readProcess(pid!)?.state ?? 'gone').toMatch(/gone|Z/);
    } finally {
      await server.stop();
    }
  }, 90_000);
});

describe('remote command quoting', () => {
  const nasty = [
    "it's",
    '"double"',
    '$HOME',
    '`id`',
    '$(id)',
    'a b  c',
    'semi;colon',
    'back\\slash',
    "'; rm -rf / '",
    'new\nline',
    '*?[]',
    '!bang',
    '~tilde',
    '',
  ];

  it('shellWord gives the shell back exactly the text, whatever it holds', async () => {
    for (const text of nasty) {
      const { stdout } = await execa('sh', ['-c', `printf '%s' ${shellWord(text)}`], { stripFinalNewline: false });
      expect(stdout).toBe(text);
    }
    expect(() => shellWord('nul\0byte')).toThrow(/NUL/);
  });

  it("and so does the board's login shell, through ssh", async () => {
    const connection = new SshConnection(boardSpec({ id: 'quoting' }));
    try {
      const script = nasty.map((text) => `printf '%s\\0' ${shellWord(text)}`).join('; ');
      const { stdout, exitCode } = await connection.exec(script);
      expect(exitCode).toBe(0);
      expect(stdout.split('\0').slice(0, -1)).toEqual(nasty);
    } finally {
      await connection.close();
    }
  });
});

describe('edgebench run with an ssh device (the real CLI)', () => {
  it('runs the cells on the board, records its facts, keeps new host keys in the project and closes its connection', async () => {
    // No UserKnownHostsFile: the host key goes where edgebench keeps it by default.
    const devices = `devices:\n${boardYaml(sshd, { remoteDir: join(boards, 'cli') })}\n`;
    await project.write('ssh-devices.yaml', devices);
    const userKnownHosts = join(homedir(), '.ssh', 'known_hosts');
    const userKnownHostsBefore = existsSync(userKnownHosts) ? await readFile(userKnownHosts, 'utf8') : undefined;
    const cli = execa(process.execPath, [BIN, 'run', '--suite', 'suites/small.yaml', '--devices', 'ssh-devices.yaml', '--run-id', 'ssh'], {
      cwd: project.dir,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    const result = await cli;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('[1/1] board / fp32 ...');
    expect(result.stdout).toMatch(/board\s+fp32\s+ok\s+25\s+\d+\.\d{3}/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/ssh/results.json'), 'utf8')));
    expect(results.devices[0]).toMatchObject({
      id: 'board',
      kind: 'ssh',
      facts: { arch: 'x64', kernel: release(), source: expect.stringMatching(/^read over SSH from /) },
    });
    expect(results.cells[0]).toMatchObject({ deviceId: 'board', status: 'ok', runtime: { arch: 'x64', onnxruntime: '1.30.0' } });
    // The board's host key went to the project's known_hosts, not the user's.
    expect(await readFile(project.path('.cache/ssh/known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
    expect(existsSync(userKnownHosts) ? await readFile(userKnownHosts, 'utf8') : undefined).toBe(userKnownHostsBefore);
    // The run closed its master connection before it exited.
    expect(masters(cli.pid)).toEqual([]);
  }, 90_000);
});
