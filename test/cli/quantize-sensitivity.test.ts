import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SensitivityReport } from '../../harness/core/quantize-sensitivity.ts';
import { smallProject, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, 'quantize', 'models/small/model.onnx', ...args], { cwd: project.dir, reject: false });

describe('edgebench quantize --sensitivity / --budget-kld flags (the real CLI)', () => {
  it.each([
    [['--to', 'int8', '--budget-kld', '0.01'], /--budget-kld.*--to int8 writes no int4 layers[\s\S]*use --to int4/],
    [['--to', 'fp16', '--sensitivity'], /--sensitivity.*--to fp16 writes no int4 layers[\s\S]*use --to int4/],
    [['--to', 'q4f16', '--budget-kld', '0.01'], /--budget-fallback.*q4f16 model keeps no layers at int8[\s\S]*add --budget-fallback float/],
    [['--to', 'int4', '--budget-fallback', 'float'], /--budget-fallback.*--budget-kld is not given[\s\S]*add --budget-kld <x>/],
    [['--to', 'int4', '--budget-kld', '0.01'], /--calibrate.*models\/small\/model\.onnx is not a decoder[\s\S]*add --calibrate <suite\.yaml>/],
  ])('%j is refused with the flag and the fix', async (args, message) => {
    const result = await edgebench(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a budget that is not a positive number', async () => {
    const result = await edgebench(['--to', 'int4', '--budget-kld', '-1']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--budget-kld.*greater than 0/);
  });

  it("ranks a classifier's layers on a suite's dataset with --calibrate", async () => {
    const result = await edgebench(['--to', 'int4', '--sensitivity', '--calibrate', 'suites/small.yaml', '--block-size', '32']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/layer +KL added +same top-1/);
    const report = SensitivityReport.parse(JSON.parse(await readFile(project.path('models/small/model_q4.sensitivity.json'), 'utf8')));
    expect(report.measuredOn).toMatchObject({ source: 'suites/data/examples.jsonl', examples: 10 });
    expect(report.layers.length).toBeGreaterThan(0);
    await expect(readFile(project.path('models/small/model_q4.onnx'))).rejects.toThrow(/ENOENT/);
  });
});
