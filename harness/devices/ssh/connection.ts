import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { z } from 'zod';
import type { SshDeviceSpec } from '../../core/device-spec.ts';
import { allExited } from '../../system/processes.ts';
import type { RunnerCommand } from '../../runner/spawn.ts';

export type SshSpec = z.infer<typeof SshDeviceSpec>;

/**
 * Where the per-device control sockets live: a short path of its own, because a
 * Unix socket path may not exceed about 104 bytes (ssh adds 17 characters while
 * it binds), and private, because whoever can open a socket can use its connection.
 */
export const CONTROL_DIR = `/tmp/edgebench-ssh-${process.getuid?.() ?? 'user'}`;

/** An idle master connection ends this long after its last command, so one left by a killed run goes away by itself. */
const CONTROL_PERSIST_SECONDS = 60;

/** How long a master asked to exit is given before it is ended by its pid. */
const MASTER_EXIT_GRACE_MS = 5000;

/** Where host keys of boards first met are recorded, unless ~/.ssh/config or sshOptions say otherwise: the project's cache, not ~/.ssh/known_hosts. */
export const PROJECT_KNOWN_HOSTS = '.cache/ssh/known_hosts';

/** A problem with a device, in words that name it and the fix; becomes a cell's DEVICE_UNAVAILABLE or the device's factsError. */
export class DeviceProblem extends Error {
  override name = 'DeviceProblem';
}

export interface SshResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
}

/** What ssh -G says the connection will use once ~/.ssh/config and sshOptions are applied. */
interface Effective {
  /** user@hostname:port, for messages. */
  endpoint: string;
  /** Options edgebench adds only where the user's configuration leaves ssh's default. */
  defaultsArgs: string[];
  knownHosts: string;
}

/**
 * The system OpenSSH client for one device, always with argument arrays. The
 * first command opens a master connection (ControlMaster=auto) on a control
 * socket of this process; every later command of the run reuses it, so a cell
 * does not pay a handshake per command. close() ends it.
 */
export class SshConnection {
  readonly controlPath: string;
  private effective?: Promise<Effective>;
  /** What rides the master connection for long (the probes' sensor reader) and must end before it: the master does not exit while a session is open. */
  private readonly riders = new Set<() => Promise<void>>();

  constructor(readonly spec: SshSpec) {
    const key = createHash('sha256')
      .update(JSON.stringify([spec.id, spec.host, spec.port, spec.user, spec.identityFile, spec.sshConfig, spec.sshOptions]))
      .digest('hex')
      .slice(0, 12);
    this.controlPath = `${CONTROL_DIR}/${process.pid}-${key}`;
  }

  /** The options that say which board and how to log in: devices.yaml's, before anything edgebench adds, so they win over ~/.ssh/config. */
  private configArgs(): string[] {
    const { spec } = this;
    return [
      ...(spec.sshConfig ? ['-F', spec.sshConfig] : []),
      ...(spec.port !== undefined ? ['-p', String(spec.port)] : []),
      ...(spec.user ? ['-l', spec.user] : []),
      ...(spec.identityFile ? ['-i', spec.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
      ...Object.entries(spec.sshOptions ?? {}).flatMap(([key, value]) => ['-o', `${key}=${value}`]),
    ];
  }

  private managedArgs(): string[] {
    return [
      '-T',
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${this.spec.connectTimeoutSeconds}`,
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${this.controlPath}`,
      '-o',
      `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
    ];
  }

  /** Reads the effective configuration once (ssh -G, no connection made). */
  private resolveEffective(): Promise<Effective> {
    this.effective ??= (async () => {
      const result = await execa('ssh', [...this.configArgs(), '-G', '--', this.spec.host], { reject: false, stdin: 'ignore' });
      if (result.exitCode !== 0) {
        this.effective = undefined;
        if (result.exitCode === undefined)
          throw new DeviceProblem(
            `device ${this.spec.id}: the OpenSSH client could not be started (${result.shortMessage}): install it (Debian package openssh-client)`,
          );
        throw new DeviceProblem(
          `device ${this.spec.id}: ssh rejects its configuration (${lastLine(String(result.stderr))}): check host, sshConfig and sshOptions in devices.yaml and ~/.ssh/config`,
        );
      }
      const config = new Map<string, string>();
      for (const line of String(result.stdout).split('\n')) {
        const space = line.indexOf(' ');
        if (space > 0 && !config.has(line.slice(0, space))) config.set(line.slice(0, space), line.slice(space + 1));
      }
      const defaultsArgs: string[] = [];
      // ssh's default "ask" cannot ask in BatchMode: a board met for the first time would be refused.
      if (config.get('stricthostkeychecking') === 'ask') defaultsArgs.push('-o', 'StrictHostKeyChecking=accept-new');
      let knownHosts = config.get('userknownhostsfile') ?? '~/.ssh/known_hosts';
      if (isDefaultKnownHosts(knownHosts)) {
        // New keys go to the project's file; keys already in ~/.ssh/known_hosts are still checked.
        const project = resolve(PROJECT_KNOWN_HOSTS);
        mkdirSync(resolve(project, '..'), { recursive: true, mode: 0o700 });
        defaultsArgs.push('-o', `UserKnownHostsFile=${configWord(project)} ${knownHosts}`);
        knownHosts = project;
      } else knownHosts = knownHosts.split(' ')[0]!;
      if (config.get('serveraliveinterval') === '0') defaultsArgs.push('-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3');
      // Warnings such as "Permanently added ... to the list of known hosts" would mix with the runner's stderr.
      if (config.get('loglevel') === 'INFO') defaultsArgs.push('-o', 'LogLevel=ERROR');
      return { endpoint: `${config.get('user')}@${config.get('hostname')}:${config.get('port')}`, defaultsArgs, knownHosts };
    })();
    return this.effective;
  }

  /** user@hostname:port as ssh resolves it. */
  async endpoint(): Promise<string> {
    return (await this.resolveEffective()).endpoint;
  }

  /** The ssh argument array that runs `script` on the board (ssh hands it to the login shell there). */
  async commandFor(script: string): Promise<RunnerCommand> {
    ensureControlDir();
    const { defaultsArgs } = await this.resolveEffective();
    return { file: 'ssh', args: [...this.configArgs(), ...this.managedArgs(), ...defaultsArgs, '--', this.spec.host, script] };
  }

  /** Runs `script` on the board; stdin is `input`, a local file, or nothing. Never throws for a failing command. */
  async exec(script: string, options: { input?: string | Uint8Array; inputFile?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SshResult> {
    const command = await this.commandFor(script);
    const stdin =
      options.input !== undefined
        ? { input: options.input }
        : options.inputFile !== undefined
          ? { inputFile: options.inputFile }
          : { stdin: 'ignore' as const };
    const result = await execa(command.file, command.args, {
      ...stdin,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024,
      forceKillAfterDelay: 2000,
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    if (result.exitCode === undefined && !result.timedOut && !result.isCanceled) {
      throw new DeviceProblem(
        `device ${this.spec.id}: ssh could not be started (${result.shortMessage}): install the OpenSSH client (Debian package openssh-client)`,
      );
    }
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), timedOut: result.timedOut, canceled: result.isCanceled };
  }

  /**
   * Why ssh itself failed (exit status 255), in words naming the device and the
   * fix; undefined when the output is not one of ssh's connection errors.
   */
  async problemOf(stderr: string): Promise<string | undefined> {
    const { endpoint, knownHosts } = await this.resolveEffective();
    const { spec } = this;
    const said =
      stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /ssh|denied|refused|timed out|unreachable|resolve|host key|closed|reset|broken pipe/i.test(l))
        .at(-1) ?? lastLine(stderr);
    const device = `device ${spec.id} (${endpoint})`;
    if (/Permission denied \(|Too many authentication failures/.test(stderr)) {
      const key = spec.identityFile
        ? `check that identityFile ${spec.identityFile} is the private key whose .pub line is in ~/.ssh/authorized_keys of ${endpoint.split('@')[0]} on the board`
        : 'load your key into ssh-agent (ssh-add) or set identityFile in devices.yaml, and put its .pub line in ~/.ssh/authorized_keys on the board';
      return `${device}: the board refused the SSH key (${said}): ${key}. edgebench never types passwords or passphrases (BatchMode)`;
    }
    if (/Connection refused/.test(stderr))
      return `${device}: nothing accepts SSH connections there (${said}): check that the board is on and its SSH server runs, and the host and port in devices.yaml`;
    if (/timed out|No route to host|Network is unreachable/i.test(stderr)) {
      return `${device}: the board is unreachable (${said}; waited ${spec.connectTimeoutSeconds} s): check that it is powered and on the network, the host in devices.yaml, and any ProxyJump it needs; raise connectTimeoutSeconds for a slow link`;
    }
    if (/Could not resolve hostname/.test(stderr))
      return `${device}: the host name does not resolve (${said}): check host in devices.yaml, or add a Host entry for it in ~/.ssh/config`;
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
      return `${device}: the board's host key is not the one recorded in ${knownHosts} (${said}): if the board was reinstalled, remove the old key with ssh-keygen -R '${knownHostsName(endpoint)}' -f ${knownHosts} and run again; otherwise find out why it changed`;
    }
    if (/Connection closed|Connection reset|closed by remote host|Broken pipe|not responding|kex_exchange_identification/i.test(stderr))
      return `${device}: the SSH connection was closed (${said})`;
    return undefined;
  }

  /** Has `end` called when the connection is closed, before the master is asked to exit. */
  onClose(end: () => Promise<void>): void {
    this.riders.add(end);
  }

  /**
   * Ends the master connection, if one is open, and waits for its process to
   * exit: ssh -O exit only asks, and a master still shutting down would share
   * the CPU with what runs next, or outlive the run.
   */
  async close(): Promise<void> {
    await Promise.all([...this.riders].map((end) => end().catch(() => undefined)));
    if (!existsSync(this.controlPath)) return;
    const control = (command: 'check' | 'exit') =>
      execa('ssh', [...this.configArgs(), '-o', `ControlPath=${this.controlPath}`, '-O', command, '--', this.spec.host], {
        reject: false,
        stdin: 'ignore',
        timeout: 10_000,
      });
    // "Master running (pid=1234)"
    const pid = Number(/\(pid=(\d+)\)/.exec(String((await control('check')).stderr))?.[1]);
    await control('exit');
    if (!pid || (await allExited([{ pid }], MASTER_EXIT_GRACE_MS))) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Exited meanwhile.
    }
    await allExited([{ pid }], MASTER_EXIT_GRACE_MS);
  }
}

/** How known_hosts names a host: "host" on port 22, "[host]:port" elsewhere. */
function knownHostsName(endpoint: string): string {
  const hostPort = endpoint.slice(endpoint.lastIndexOf('@') + 1);
  const colon = hostPort.lastIndexOf(':');
  const [host, port] = [hostPort.slice(0, colon), hostPort.slice(colon + 1)];
  return port === '22' ? host : `[${host}]:${port}`;
}

/** ssh's default UserKnownHostsFile, "~/.ssh/known_hosts ~/.ssh/known_hosts2", as ssh -G prints it (expanded). */
function isDefaultKnownHosts(value: string): boolean {
  const files = value.split(' ');
  return files.length === 2 && files[0]!.endsWith('/.ssh/known_hosts') && files[1]!.endsWith('/.ssh/known_hosts2');
}

/** A path as one word of an ssh_config value (ssh splits values at spaces and honours double quotes). */
function configWord(path: string): string {
  if (/["\\]/.test(path))
    throw new DeviceProblem(`the project path ${path} holds a double quote or backslash, which ssh_config cannot quote: set UserKnownHostsFile in sshOptions`);
  return /\s/.test(path) ? `"${path}"` : path;
}

function ensureControlDir(): void {
  try {
    mkdirSync(CONTROL_DIR, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new DeviceProblem(`cannot create ${CONTROL_DIR} for SSH control sockets (${(error as Error).message})`);
  }
  const stat = lstatSync(CONTROL_DIR);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new DeviceProblem(
      `${CONTROL_DIR} is not a directory private to this user (whoever can open a control socket there can use its SSH connection): remove it and run again`,
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() || 'no message';
}
