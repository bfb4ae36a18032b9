import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write(
    'three-devices.yaml',
    'devices:\n  - id: host\n    kind: local\n  - id: pinned\n    kind: emulated\n    cpus: [0]\n    fallback: taskset\n  - id: host-again\n    kind: local\n',
  );
  await project.write(
    'suites/two.yaml',
    suiteYaml({
      repeats: 2,
      variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}',
    }),
  );
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
const read = async (dir: string) => Results.parse(JSON.parse(await readFile(project.path(`${dir}/results.json`), 'utf8')));

describe('run --shard i/n and merge (the real CLI)', () => {
  it('runs each device in exactly one of two shards, and merge makes one run that compare and history take', async () => {
    for (const index of [1, 2]) {
      const shard = await edgebench([
        'run',
        '--suite',
        'suites/two.yaml',
        '--devices',
        'three-devices.yaml',
        '--shard',
        `${index}/2`,
        '--run-id',
        `shard-${index}`,
        '--no-report',
      ]);
      expect(shard.exitCode, shard.stderr).toBe(0);
    }
    const [one, two] = [await read('reports/shard-1'), await read('reports/shard-2')];
    const ran = [...one.devices, ...two.devices].map((d) => d.id).sort();
    expect(ran).toEqual(['host', 'host-again', 'pinned']);
    expect(one.shard).toEqual({ index: 1, total: 2, devices: ['host', 'pinned', 'host-again'] });

    const merged = await edgebench(['merge', 'reports/shard-2', 'reports/shard-1', '--run-id', 'all']);
    expect(merged.exitCode, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('merged 2 shard(s): 3 device(s), 6 cell(s), status complete');
    expect(merged.stdout).toContain('report: reports/all/index.html');
    const all = await read('reports/all');
    expect(all.cells.map((c) => `${c.deviceId}/${c.variant.name}`)).toEqual(['host/a', 'host/b', 'pinned/a', 'pinned/b', 'host-again/a', 'host-again/b']);
    expect(all.cells.find((c) => c.deviceId === 'pinned')!.samples).toEqual([...one.cells, ...two.cells].find((c) => c.deviceId === 'pinned')!.samples);
    expect(all.mergedFrom).toEqual(['shard-2', 'shard-1']);

    const compared = await edgebench(['compare', 'reports/all', 'reports/all']);
    expect(compared.exitCode).toBe(0);
    const history = await edgebench(['history', 'add', 'reports/all', '--store', 'h.jsonl', '--commit', 'abc123']);
    expect(history.stdout).toMatch(/h\.jsonl: added 6 cell\(s\) of run all at abc123/);

    const missing = await edgebench(['merge', 'reports/shard-1']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/shard 2\/2 missing: merge needs every shard of the run/);
    expect((await edgebench(['run', '--suite', 'suites/two.yaml', '--shard', '3/2'])).stderr).toMatch(/use i\/n with 1 <= i <= n/);
  }, 120_000);
});
