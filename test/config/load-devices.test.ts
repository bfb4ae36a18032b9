import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../harness/config/errors.ts';
import { loadDevices } from '../../harness/config/load-devices.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { configErrorMessage } from '../helpers/config-errors.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

const messageOf = configErrorMessage;

describe('loadDevices', () => {
  it('accepts a valid inventory', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: host\n    kind: local\n    class: mid\n');
    expect(loadDevices(file).devices).toEqual([{ id: 'host', kind: 'local', class: 'mid' }]);
  });

  it('names the file and the fix when the file is missing', () => {
    const message = messageOf(() => loadDevices(project.path('nope.yaml')));
    expect(message).toContain('nope.yaml');
    expect(message).toMatch(/not found/);
    expect(message).toMatch(/fix:/);
  });

  it('reports broken YAML with its line and column', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: host\n\tkind: local\n');
    const message = messageOf(() => loadDevices(file));
    expect(message).toMatch(/devices\.yaml:3:\d+: YAML syntax error/);
    expect(message).toMatch(/fix: indent with spaces/);
  });

  it('names an unknown device kind, its field path and line, and the kinds available', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: host\n    kind: local\n  - id: phone\n    kind: lcoal\n');
    const message = messageOf(() => loadDevices(file));
    expect(message).toContain('devices.yaml:5: devices[1].kind: unknown device kind "lcoal"');
    expect(message).toContain('fix: use one of: local');
  });

  it('reports a misspelt field, a duplicate id and an empty list', async () => {
    const typo = await project.write('a.yaml', 'devices:\n  - id: host\n    kind: local\n    clas: mid\n');
    const typoMessage = messageOf(() => loadDevices(typo));
    expect(typoMessage).toContain('devices[0]');
    expect(typoMessage).toContain('"clas"');
    const duplicate = await project.write('b.yaml', 'devices:\n  - id: host\n    kind: local\n  - id: host\n    kind: local\n');
    expect(messageOf(() => loadDevices(duplicate))).toContain('b.yaml:4: devices[1].id: duplicate device id "host"');
    const empty = await project.write('c.yaml', 'devices: []\n');
    expect(messageOf(() => loadDevices(empty))).toMatch(/at least one device/);
  });

  it('reports every problem in one pass', async () => {
    const file = await project.write('devices.yaml', 'devices:\n  - id: a\n    kind: nope\n  - id: b\n    kind: shh\n');
    const error = (() => {
      try {
        loadDevices(file);
      } catch (e) {
        return e as ConfigErrors;
      }
    })();
    expect(error?.errors).toHaveLength(2);
  });
});
