import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../harness/config/errors.ts';
import { loadDevices } from '../../harness/config/load-devices.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

async function problems(yaml: string): Promise<string[]> {
  const file = await project.write('devices.yaml', yaml);
  try {
    loadDevices(file);
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  throw new Error('expected configuration errors');
}

describe('kind: ssh in devices.yaml', () => {
  it('accepts a board with only a host, and fills in the defaults', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: pi5\n    kind: ssh\n    host: pi5.local\n');
    expect(loadDevices(file).devices).toEqual([
      { id: 'pi5', kind: 'ssh', host: 'pi5.local', remoteDir: '~/.cache/edgebench', node: 'node', connectTimeoutSeconds: 10 },
    ]);
  });

  it('accepts every field', async () => {
    const yaml = [
      'devices:',
      '  - id: jetson',
      '    kind: ssh',
      '    host: 10.0.0.7',
      '    port: 2222',
      '    user: nvidia',
      '    identityFile: ~/.ssh/id_ed25519_jetson',
      '    sshConfig: ./ssh_config',
      '    sshOptions: { ProxyJump: bastion, ServerAliveInterval: 30 }',
      '    remoteDir: /var/cache/edgebench',
      '    node: /usr/local/bin/node',
      '    cpus: [4, 5, 6, 7]',
      '    connectTimeoutSeconds: 20',
      '    optional: true',
      '',
    ].join('\n');
    const [device] = loadDevices(await project.write('devices.yaml', yaml)).devices;
    expect(device).toMatchObject({
      kind: 'ssh',
      port: 2222,
      sshOptions: { ProxyJump: 'bastion', ServerAliveInterval: 30 },
      cpus: [4, 5, 6, 7],
      optional: true,
    });
  });

  it('names each bad field, its line and the fix, all in one pass', async () => {
    const messages = await problems(
      [
        'devices:',
        '  - id: pi',
        '    kind: ssh',
        '    host: -oProxyCommand=sh',
        '    port: 70000',
        '    remoteDir: relative/cache',
        '    sshOptions: { ControlPath: /tmp/mine }',
        '  - id: jetson',
        '    kind: ssh',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(5);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /devices\.yaml:4: devices\[0\]\.host: host must be a host name, an IP address or a Host alias from ~\/\.ssh\/config\n {2}fix: write it without spaces or a leading "-"/,
      ),
    );
    expect(messages).toContainEqual(expect.stringMatching(/devices\.yaml:5: devices\[0\]\.port: .*65535/));
    expect(messages).toContainEqual(
      expect.stringMatching(
        /devices\.yaml:6: devices\[0\]\.remoteDir: remoteDir must be an absolute path on the board, or start with ~\/\n {2}fix: write e\.g\. ~\/\.cache\/edgebench/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /devices\.yaml:7: devices\[0\]\.sshOptions: sshOptions may not set BatchMode, ControlMaster, ControlPath or ControlPersist\n {2}fix: remove them/,
      ),
    );
    expect(messages).toContainEqual(expect.stringMatching(/devices\.yaml:8: devices\[1\]\.host: .*\n {2}fix: add the required field "host"/));
  });

  it("devices.yaml's commented Raspberry Pi and Jetson examples are valid once uncommented", async () => {
    const lines = readFileSync('devices.yaml', 'utf8').split('\n');
    const start = lines.findIndex((line) => line.includes('Linux boards over SSH'));
    const examples = lines
      .slice(start + 1)
      .filter((line) => /^ {2}# (- | {2})/.test(line))
      .map((line) => `  ${line.slice(4)}`);
    const file = await project.write('devices.yaml', ['devices:', ...examples, ''].join('\n'));
    expect(loadDevices(file).devices.map((d) => [d.id, d.kind, d.optional])).toEqual([
      ['rpi5', 'ssh', true],
      ['jetson-orin-nano', 'ssh', true],
    ]);
  });

  it('refuses a private key pasted into identityFile, without repeating it', async () => {
    const key = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ';
    const messages = await problems(
      `devices:\n  - id: pi\n    kind: ssh\n    host: pi.local\n    identityFile: "-----BEGIN OPENSSH PRIVATE KEY-----\\n${key}\\n-----END OPENSSH PRIVATE KEY-----"\n`,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('devices[0].identityFile: identityFile must be the path of a private key file, and this looks like a key itself');
    expect(messages[0]).toContain('fix: save the key in a file (chmod 600) and write its path here, or load it into ssh-agent');
    expect(messages[0]).not.toContain(key);
  });
});
