import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDevices } from '../../harness/config/load-devices.ts';
import { loadSuite } from '../../harness/config/load-suite.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { configErrorMessage } from '../helpers/config-errors.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

const messageOf = configErrorMessage;

describe('energy and thermal settings', () => {
  it('accepts a power model, an external meter, probe options and a device thermal gate (defaults filled in)', async () => {
    const file = await project.write(
      'devices.yaml',
      [
        'devices:',
        '  - id: pi5',
        '    kind: local',
        '    powerModel: { name: pi5-datasheet, idleWatts: 2.7, activeWattsPerCore: 1.6 }',
        '    powerMeter: { command: [python3, tools/usb-meter.py, --follow], reports: watts }',
        '    probes: { root: fixtures/pi5, rateHz: 20 }',
        '    thermalGate: { ceilingC: 60 }',
        '',
      ].join('\n'),
    );
    expect(loadDevices(file).devices[0]).toMatchObject({
      powerModel: { name: 'pi5-datasheet', idleWatts: 2.7, activeWattsPerCore: 1.6 },
      powerMeter: { command: ['python3', 'tools/usb-meter.py', '--follow'], reports: 'watts' },
      probes: { root: 'fixtures/pi5', rateHz: 20 },
      thermalGate: { ceilingC: 60, timeoutSeconds: 120, pollSeconds: 1 },
    });
  });

  it('refuses a meter command given as a shell string, naming the file and the field', async () => {
    const file = await project.write(
      'devices.yaml',
      'devices:\n  - id: pi5\n    kind: local\n    powerMeter: { command: "python3 meter.py | tee log", reports: watts }\n',
    );
    const message = messageOf(() => loadDevices(file));
    expect(message).toContain('devices.yaml:4');
    expect(message).toContain('devices[0].powerMeter.command: the command must be a list of arguments: it runs without a shell');
    expect(message).toContain(
      'fix: write it as a list, e.g. ["python3", "meter.py", "|", "tee", "log"]; pipes and redirections belong in a script of their own',
    );
  });

  it('refuses a probes.root with a line break, naming the file, the field and the fix', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: pi5\n    kind: ssh\n    host: pi5.local\n    probes: { root: "/tmp/tree\\nx" }\n');
    const message = messageOf(() => loadDevices(file));
    expect(message).toContain('devices.yaml:5');
    expect(message).toContain('devices[0].probes.root: the directory cannot hold a line break or a NUL character');
    expect(message).toContain('fix: rename the directory (or copy the tree to one) whose name has no line break');
  });

  it('takes the suite\'s thermal protocol: the gate (or "off") and a cooldown', async () => {
    await project.write('data.jsonl', '{"id":"a","inputs":{"x":[[1]]}}\n');
    const suite = (thermal: string) =>
      project.write('suite.yaml', `name: s\ntask: forward\ndataset: data.jsonl\n${thermal}\nvariants:\n  - {name: a, precision: fp32, file: a.onnx}\n`);
    expect(loadSuite(await suite('thermal: { gate: off, cooldownSeconds: 30 }')).thermal).toEqual({ gate: 'off', cooldownSeconds: 30 });
    expect(loadSuite(await suite('thermal: { gate: { ceilingC: 65, orWithinCOfIdle: 4 } }')).thermal).toEqual({
      gate: { ceilingC: 65, orWithinCOfIdle: 4, timeoutSeconds: 120, pollSeconds: 1 },
      cooldownSeconds: 0,
    });
    const bad = await suite('thermal: { cooldownSeconds: -1 }');
    expect(messageOf(() => loadSuite(bad))).toContain('thermal.cooldownSeconds');
  });
});
