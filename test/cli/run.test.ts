import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project.cleanup());

const edgebench = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', ...env } });

describe('edgebench run (the real CLI)', () => {
  it('benchmarks every variant, prints the table and writes schema-valid results', async () => {
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'first']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/device\s+variant\s+status\s+n\s+p50 ms\s+p90 ms\s+p99 ms\s+load ms\s+peak RSS MiB\s+model RSS MiB\s+disk MiB/);
    expect(result.stdout).toMatch(/host\s+fp32\s+ok\s+25\s+\d+\.\d{3}/);
    expect(result.stdout).toContain('results: reports/first/results.json');
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/first/results.json'), 'utf8')));
    expect(results.status).toBe('complete');
    expect(results.cells).toHaveLength(1);
    expect(results.cells[0]!.samples).toHaveLength(25);
    expect(results.devices[0]!.facts).toMatchObject({ source: 'systeminformation on the host' });
    expect(results.devices[0]!.facts!.logicalCores).toBeGreaterThan(0);
    expect(results.suite.dataset.examples).toBe(10);
    // The HTML report is written beside the results; atomic writes leave no temporary files behind.
    expect(result.stdout).toContain('report: reports/first/index.html');
    expect((await readdir(project.path('reports/first'))).sort()).toEqual(['charts', 'index.html', 'journal.jsonl', 'results.json']);
    expect((await readdir(project.path('reports/first/charts'))).sort()).toEqual(['latency-box.svg', 'latency-cdf.svg', 'memory-disk.svg']);
  });

  it('exits 2 with the file, field and fix for a bad config, and runs nothing', async () => {
    await project.write('bad-devices.yaml', 'devices:\n  - id: host\n    kind: lokal\n');
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--devices', 'bad-devices.yaml', '--run-id', 'bad']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('configuration error, nothing was run');
    expect(result.stderr).toContain('bad-devices.yaml:3: devices[0].kind: unknown device kind "lokal"');
    expect(result.stderr).toContain('fix: use one of: local');
    await expect(readdir(project.path('reports/bad'))).rejects.toThrow();
  });

  it('exits 1 and keeps the other cells when one variant fails', async () => {
    // Valid ONNX that onnxruntime cannot load: an operator no runtime implements.
    await writeModel(
      project.path('models/unloadable/model.onnx'),
      model(
        {
          node: [node('NoSuchOperator', ['input_ids'], ['logits'])],
          input: [tensorValue('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'sequence'])],
          output: [tensorValue('logits', onnx.TensorProto.DataType.FLOAT, ['batch', 4])],
        },
        [{ version: 17 }],
      ),
    );
    await project.write(
      'suites/mixed.yaml',
      suiteYaml({
        variants:
          '  - {name: broken, precision: fp32, file: ../models/unloadable/model.onnx}\n  - {name: good, precision: fp32, file: ../models/small/model.onnx}',
      }),
    );
    const result = await edgebench(['run', '--suite', 'suites/mixed.yaml', '--run-id', 'mixed', '--repeats', '3']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/host\s+broken\s+FAILED MODEL_LOAD_FAILED/);
    expect(result.stdout).toMatch(/failures:\n\s+host \/ broken: MODEL_LOAD_FAILED: .*NoSuchOperator/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/mixed/results.json'), 'utf8')));
    expect(results.cells.map((c) => [c.variant.name, c.status])).toEqual([
      ['broken', 'failed'],
      ['good', 'ok'],
    ]);
    // A variant that cannot load is not retried: its one failed process is the result; the good one ran all three.
    expect(results.cells[0]!.repeats!.map((r) => r.status)).toEqual(['failed']);
    expect(results.cells[1]!.repeats!.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('skips an optional device that is unavailable, with the reason in the results, and runs the rest', async () => {
    await project.write(
      'optional-devices.yaml',
      'devices:\n  - {id: host, kind: local}\n  - {id: small-board, kind: emulated, cpus: [0], memoryMiB: 256, optional: true}\n',
    );
    // A cgroup root with nothing in it: this "machine" cannot emulate the board.
    await project.write('no-cgroups/.keep', '');
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--devices', 'optional-devices.yaml', '--run-id', 'optional'], {
      EDGEBENCH_CGROUP_ROOT: project.path('no-cgroups'),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/skipping optional device small-board: no writable cgroups: no cgroup v1 mount/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/optional/results.json'), 'utf8')));
    expect(results.cells.map((c) => c.deviceId)).toEqual(['host']);
    expect(results.devices.find((d) => d.id === 'small-board')).toMatchObject({ skipped: expect.stringMatching(/no writable cgroups/) });
  });

  it("runs each cell in fresh runner processes (--repeats), pooling their samples and keeping each one's measurements", async () => {
    const result = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'repeated', '--repeats', '3']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/\[3\/3\] host \/ fp32 \(repeat 3\/3\)/);
    // Not a terminal: plain lines, each naming its device, with the run's progress and ETA once a process is timed.
    expect(result.stderr).toMatch(/ host \/ fp32: ok: p50 [\d.]+ ms \[1\/3 done, about \d+ s left\]/);
    expect(result.stderr).toMatch(/ host \/ fp32: ok: p50 [\d.]+ ms \[3\/3 done\]/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/repeated/results.json'), 'utf8')));
    expect(results.suite.repeats).toBe(3);
    const [cell] = results.cells;
    expect(cell!.samples).toHaveLength(75);
    expect([1, 2, 3].map((r) => cell!.samples.filter((s) => s.repeat === r).length)).toEqual([25, 25, 25]);
    const loads = cell!.repeats!.map((r) => r.loadMs!);
    expect(loads).toHaveLength(3);
    // The cell's load time is the median of its processes'; its peak memory the largest.
    expect(cell!.metrics.loadMs).toMatchObject({ source: 'measured', value: [...loads].sort((a, b) => a - b)[1] });
    expect(cell!.metrics.peakRssBytes).toMatchObject({ value: Math.max(...cell!.repeats!.map((r) => r.peakRssBytes!)) });
    expect(cell!.metrics.latencyMs.source === 'measured' && cell!.metrics.latencyMs.method).toMatch(/pooled over 3 runner processes/);
  });

  it("on a terminal, draws one live line per device and the run's progress instead of plain lines", async () => {
    // script(1) gives the CLI a real pseudo-terminal; CI is cleared because under CI the display stays plain.
    const command = [
      'stty rows 40 cols 120;',
      process.execPath,
      BIN,
      'run',
      '--suite',
      'suites/small.yaml',
      '--run-id',
      'on-a-tty',
      '--repeats',
      '4',
      '--no-report',
    ].join(' ');
    const result = await execa('script', ['-qec', command, '/dev/null'], { cwd: project.dir, reject: false, env: { ...process.env, CI: '', NO_COLOR: '1' } });
    expect(result.exitCode).toBe(0);
    const screen = result.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    // Frames while it runs: the process each device is running, then the count done and the ETA. The display redraws
    // on a timer, so a loaded machine may skip the frame of any one process; four processes leave it several.
    // Adaptive repeats may stop the cell after 3 (the final count is then 3/3).
    expect(screen).toMatch(/host: [0-3]\/[34], running fp32 \(repeat [1-4]\/4\)/);
    expect(screen).toMatch(/[1-3]\/[34] runner processes, about \d+ s left/);
    expect(screen).toMatch(/([34])\/\1 runner processes\r?\n.*host: \1\/\1/);
    expect(screen).not.toMatch(/\[1\/4\] host \/ fp32/);
    expect(screen).toMatch(/results: reports\/on-a-tty\/results\.json/);
  });

  it('answers a usage error with exit 2 and documents the exit codes in --help', async () => {
    const unknown = await edgebench(['run', '--no-such-flag']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
    const help = await edgebench(['run', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+every cell was measured\n\s+1\s+one or more cells failed/);
  });

  it('validate checks everything without running', async () => {
    const result = await edgebench(['validate', '--suite', 'suites/small.yaml']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/fp32\s+fp32\s+\d+ bytes\s+sha256 [0-9a-f]{64}/);
  });

  it('on Ctrl-C stops the running cell, keeps what was measured and exits 130', async () => {
    await project.write(
      'suites/long.yaml',
      suiteYaml({
        iterations: 1_000_000,
        variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}',
      }),
    );
    const child = execa(process.execPath, [BIN, 'run', '--suite', 'suites/long.yaml', '--run-id', 'interrupted'], { cwd: project.dir, reject: false });
    // Interrupted once the journal holds timed samples: mid-cell, whatever the machine's speed.
    const journal = project.path('reports/interrupted/journal.jsonl');
    const poll = setInterval(() => {
      if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"phase":"timed"')) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 100);
    const result = await child;
    clearInterval(poll);
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: stopping the running cell/);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/interrupted/results.json'), 'utf8')));
    expect(results.status).toBe('interrupted');
    expect(results.cells).toHaveLength(1);
    expect(results.cells[0]!.error?.code).toBe('INTERRUPTED');
    expect(results.cells[0]!.samples.length).toBeGreaterThan(100);
  });
});
