import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { MAX_MEMORY_MIB, MIN_CPU_QUOTA } from '../../harness/core/device-spec.ts';
import { ConfigError, ConfigErrors } from '../../harness/config/errors.ts';
import { loadDevices } from '../../harness/config/load-devices.ts';
import { loadSuite } from '../../harness/config/load-suite.ts';
import { MAX_YAML_ITEMS } from '../../harness/config/load-yaml.ts';
import { ModelFileError, inspectModel } from '../../harness/onnx/model-file.ts';
import { loadDataset } from '../../harness/plan/dataset.ts';
import { configErrorMessage } from '../helpers/config-errors.ts';

/**
 * Files no config should be: devices and pipes that never end, sockets,
 * directories, files far past any genuine size, alias bombs and item floods
 * within the size limit, empty files, fields of the wrong type and numbers
 * at the ends of the double range. Each is refused promptly with a
 * ConfigError naming the file, what is wrong and the fix.
 */
const dir = mkdtempSync(join(tmpdir(), 'edgebench-hostile-files-'));
const at = (name: string) => join(dir, name);
const fifo = at('pipe.yaml');
const socket = at('socket.yaml');
const directory = at('folder.yaml');
let server: Server;

beforeAll(async () => {
  await execa('mkfifo', [fifo]);
  mkdirSync(directory);
  server = createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const DEVICES = readFileSync(new URL('../../devices.yaml', import.meta.url), 'utf8');
const SUITE = readFileSync(new URL('../../suites/demo.yaml', import.meta.url), 'utf8');

/** The message of the ConfigError(s) `load` rejects with. */
async function rejection(load: () => Promise<unknown>): Promise<string> {
  const error = await load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error instanceof ConfigError || error instanceof ConfigErrors, String(error)).toBe(true);
  return (error as Error).message;
}

describe('hostile input files: refused promptly, naming the file, what is wrong and the fix', () => {
  const NOT_FILES = [
    ['/dev/zero', /is a character device \(such as \/dev\/zero or a terminal\), not a regular file/],
    [fifo, /is a named pipe \(FIFO\), not a regular file/],
    [socket, /is a socket, not a regular file/],
    [directory, /is a directory, not a regular file/],
  ] as const;

  it.each(NOT_FILES)('a suite file, device inventory or dataset that is %s', async (path, what) => {
    for (const message of [
      configErrorMessage(() => loadSuite(path)),
      configErrorMessage(() => loadDevices(path)),
      await rejection(() => loadDataset(path, 'suite.yaml')),
    ]) {
      expect(message).toContain(path);
      expect(message).toMatch(what);
      expect(message).toMatch(/fix: point edgebench at the .* itself \(a regular file, or a symlink to one\)/);
    }
  });

  it.each(NOT_FILES)('a model path that is %s', async (path, what) => {
    const error = await inspectModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toMatchObject({ code: 'MODEL_NOT_A_FILE', file: path, message: expect.stringMatching(what) });
  });

  it('a suite file over 1 MiB, even one that is valid YAML, and a dataset over 64 MiB', async () => {
    const big = at('big-suite.yaml');
    writeFileSync(big, `${SUITE}\n${'# padding\n'.repeat(110_000)}`);
    expect(configErrorMessage(() => loadSuite(big))).toMatch(
      /big-suite\.yaml: the suite file is 1\.\d MiB, over edgebench's limit of 1 MiB for a suite file\n\s+fix: check that this is the suite file/,
    );
    // Sparse: refused from its size alone, before a byte is read.
    const dataset = at('big.jsonl');
    writeFileSync(dataset, '');
    truncateSync(dataset, 64 * 1024 * 1024 + 1);
    expect(await rejection(() => loadDataset(dataset, 'suite.yaml'))).toMatch(
      /big\.jsonl: the dataset is 64\.0 MiB, over edgebench's limit of 64 MiB for a dataset\n\s+fix: use a sample of the examples/,
    );
  });

  it('an alias bomb and an item flood within the size limit', () => {
    const bomb = at('bomb.yaml');
    const levels = Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`);
    writeFileSync(bomb, ['l0: &l0 [lol]', ...levels, 'devices: *l9', ''].join('\n'));
    expect(configErrorMessage(() => loadDevices(bomb))).toMatch(/bomb\.yaml.*: YAML error: .*alias.*\n\s+fix: /i);
    const flood = at('flood.yaml');
    writeFileSync(flood, `devices: [${Array(MAX_YAML_ITEMS).fill('0').join(',')}]\n`);
    expect(readFileSync(flood).length).toBeLessThan(1024 * 1024);
    expect(configErrorMessage(() => loadDevices(flood))).toMatch(/flood\.yaml: the device inventory holds more than 20000 YAML items .*\n\s+fix: /);
  });

  it('an empty file, or one of comments only, says so and what it must hold at least', () => {
    for (const text of ['', '# nothing here yet\n\n']) {
      const file = at('empty.yaml');
      writeFileSync(file, text);
      expect(configErrorMessage(() => loadSuite(file))).toMatch(/empty\.yaml: the file is empty .*\n\s+fix: write at least the required field name \(/);
      expect(configErrorMessage(() => loadDevices(file))).toMatch(/empty\.yaml: the file is empty .*\n\s+fix: write at least the required field devices /);
      expect(configErrorMessage(() => loadSuite(file))).not.toMatch(/undefined/);
    }
  });

  it('a field of the wrong type names the expected and the found type, and the fix is to change its value', () => {
    const file = at('wrong-type.yaml');
    writeFileSync(
      file,
      SUITE.replace(/^iterations: .*$/m, 'iterations: "300"')
        .replace(/^warmup: .*$/m, 'warmup: 2.5')
        .replace(/^name: .*$/m, 'name:'),
    );
    const message = configErrorMessage(() => loadSuite(file));
    expect(message).toMatch(/iterations: must be a number, got a string\n\s+fix: change its value to a number/);
    expect(message).toMatch(/warmup: must be a whole number, got the number 2\.5\n\s+fix: change its value to a whole number/);
    expect(message).toMatch(/name: must be a string, got nothing \(null: the value after the ":" is empty\)\n\s+fix: change its value to a string/);
    expect(message).not.toMatch(/add the required field/);
  });

  it('numbers at the ends of the double range in the emulated limits are refused, or are ones the kernel takes', () => {
    const devices = parse(DEVICES) as { devices: Record<string, unknown>[] };
    const index = devices.devices.findIndex((d) => d.kind === 'emulated');
    const file = at('numbers.yaml');
    const extreme = fc.oneof(
      fc.constantFrom(1e-300, 5e-324, -0, 0.099999, 1e300, Number.MAX_VALUE, 2 ** 53, 2 ** 33 + 1),
      fc.double({ noNaN: true }),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.constantFrom('cpuQuota', 'memoryMiB'), extreme, (field, value) => {
        const copy = structuredClone(devices);
        copy.devices[index]![field] = value;
        writeFileSync(file, stringify(copy));
        try {
          const loaded = loadDevices(file).devices[index] as { cpuQuota?: number; memoryMiB?: number };
          if (field === 'cpuQuota') expect(loaded.cpuQuota).toBeGreaterThanOrEqual(MIN_CPU_QUOTA);
          else expect(loaded.memoryMiB! <= MAX_MEMORY_MIB && Number.isSafeInteger(loaded.memoryMiB! * 1024 * 1024)).toBe(true);
        } catch (error) {
          if (!(error instanceof ConfigErrors)) throw error;
          expect(error.errors.map((e) => e.field)).toContain(`devices[${index}].${field}`);
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
    copyQuota(1e-300);
    expect(configErrorMessage(() => loadDevices(file))).toMatch(
      /cpuQuota: cpuQuota must be at least 0\.1 \(a tenth of one core\): the kernel refuses a smaller CPU quota\n\s+fix: use a value >= 0\.1/,
    );

    function copyQuota(value: number) {
      const copy = structuredClone(devices);
      copy.devices[index]!.cpuQuota = value;
      writeFileSync(file, stringify(copy));
    }
  });
});
