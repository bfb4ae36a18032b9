import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { connect } from 'node:net';
import { SshDeviceSpec } from '../../harness/core/device-spec.ts';
import type { SshSpec } from '../../harness/devices/ssh/connection.ts';
import { allExited, allProcesses, descendantsOf } from '../../harness/system/processes.ts';

export const SSHD_BINARY = '/usr/sbin/sshd';

/** A real OpenSSH server on 127.0.0.1, for the current user, with keys of its own. */
export interface TestSshd {
  port: number;
  user: string;
  /** The user key the server accepts (no passphrase). */
  identityFile: string;
  /** A key the server does not accept. */
  wrongIdentityFile: string;
  /** An ssh_config for the client that reads nothing from ~/.ssh/config. */
  clientConfig: string;
  /** A known_hosts file for the client, empty at first. */
  knownHosts: string;
  dir: string;
  /** Everything sshd wrote to stderr (-e), e.g. one "Accepted publickey" line per connection. */
  log(): string;
  /** Kills the server and every session process it forked (the board's SSH daemon dying), leaving the sessions' commands orphaned. */
  killSshd(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A devices.yaml entry (list item, two-space indent) for a board that is this
 * machine reached through `server`, running this Node.js. With `knownHosts`
 * the server's key goes to the test's own known_hosts; without it, where
 * edgebench keeps host keys by default.
 */
export function boardYaml(server: TestSshd, options: { id?: string; remoteDir: string; knownHosts?: boolean }): string {
  return [
    `  - id: ${options.id ?? 'board'}`,
    '    kind: ssh',
    '    host: 127.0.0.1',
    `    port: ${server.port}`,
    `    user: ${server.user}`,
    `    identityFile: ${server.identityFile}`,
    `    sshConfig: ${server.clientConfig}`,
    ...(options.knownHosts ? [`    sshOptions: { UserKnownHostsFile: ${server.knownHosts} }`] : []),
    `    remoteDir: ${options.remoteDir}`,
    `    node: ${process.execPath}`,
  ].join('\n');
}

/** The same board as a parsed device spec, the server's key in the test's own known_hosts; `fields` adds the rest (id, remoteDir, node, probes). */
export function boardSpec(server: TestSshd, fields: { id: string } & Record<string, unknown>): SshSpec {
  return SshDeviceSpec.parse({
    kind: 'ssh',
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    identityFile: server.identityFile,
    sshConfig: server.clientConfig,
    sshOptions: { UserKnownHostsFile: server.knownHosts },
    ...fields,
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port nothing listens on at the moment it is returned. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts /usr/sbin/sshd (Debian's openssh-server) in the foreground (-D -e) on a
 * free high port of 127.0.0.1, with a generated host key, a generated user key
 * and its own sshd_config in a temporary folder. It runs as the current user,
 * which must be root: sshd needs root to switch to the logged-in user.
 */
export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-sshd-'));
  const path = (name: string) => join(dir, name);
  const keygen = (file: string) => execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'edgebench-test', '-f', file]);
  await Promise.all([keygen(path('host_ed25519')), keygen(path('user_ed25519')), keygen(path('wrong_ed25519'))]);
  await writeFile(path('authorized_keys'), await readFile(path('user_ed25519.pub')));
  // sshd refuses to start without its privilege separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  await writeFile(
    path('sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path('host_ed25519')}`,
      `AuthorizedKeysFile ${path('authorized_keys')}`,
      'AuthenticationMethods publickey',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'PidFile none',
      'PermitRootLogin yes',
      'MaxSessions 20',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  await writeFile(path('ssh_config'), '# empty: the tests read nothing from ~/.ssh/config\n');
  await writeFile(path('known_hosts'), '');

  let stderr = '';
  const server: ResultPromise = execa(SSHD_BINARY, ['-D', '-e', '-f', path('sshd_config')], {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'ignore',
  });
  server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s: ${stderr}`)), 10_000);
    const check = () => {
      if (/Server listening on 127\.0\.0\.1 port/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stderr?.on('data', check);
    void server.then((result) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${result.exitCode ?? result.signal}): ${stderr}`));
    });
    check();
  });

  const sshdPids = () => [
    server.pid!,
    ...descendantsOf(server.pid!)
      .filter((p) => /^sshd[: ]/.test(p.args[0] ?? '') || p.args[0] === SSHD_BINARY)
      .map((p) => p.pid),
  ];
  const killAll = async () => {
    const pids = sshdPids();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await server;
    await allExited(
      pids.map((pid) => ({ pid })),
      1000,
    );
    // A child sshd forked for a connection that arrived during the kill holds the listening socket until it
    // execs or dies, and was orphaned, so it is no descendant: it is found by its config path. Killed means refused.
    for (let i = 0; i < 100 && (await accepts(port)); i++) {
      for (const { pid, args } of allProcesses()) {
        if (args.some((arg) => arg.startsWith(dir))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    port,
    user: userInfo().username,
    identityFile: path('user_ed25519'),
    wrongIdentityFile: path('wrong_ed25519'),
    clientConfig: path('ssh_config'),
    knownHosts: path('known_hosts'),
    dir,
    log: () => stderr,
    killSshd: killAll,
    async stop() {
      await killAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
