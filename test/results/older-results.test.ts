import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import { readResults } from '../../harness/results/read-results.ts';
import { REPORTERS } from '../../harness/report/reporters/registry.ts';
import { buildReport } from '../../harness/report/report.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

/**
 * A results.json written by the demo decoder run before runtimes, scorer inputs and reporters had their
 * own tables (schemaVersion 1, cells without a runtime name, unscored entries without `missing`; samples
 * and outputs cut to keep the file small). Files like it must keep reading, rendering and comparing.
 */
const OLDER = 'test/fixtures/results/demo-decoder-v1.json';

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(async () => project.cleanup());

describe('a results.json from before the runtime axis', () => {
  it('reads, with the cells that have no runtime name still naming their onnxruntime version', async () => {
    const { results } = await readResults(OLDER);
    expect(results.schemaVersion).toBe(1);
    expect(results.cells.length).toBeGreaterThan(0);
    for (const cell of results.cells) {
      expect(cell.runtime?.name).toBeUndefined();
      expect(cell.runtime?.onnxruntime).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('renders through the console and HTML reporters, and compares with itself as unchanged', async () => {
    const { results, file } = await readResults(OLDER);
    const report = buildReport({ runs: [results], gates: [gate({ candidate: { results, file } })] });
    const printed: string[] = [];
    const out = (dir: string) => ({ dir, print: (text: string) => printed.push(text), workflowCommand: () => undefined, env: {} });
    await REPORTERS.console.write(report, out(project.dir));
    for (const cell of results.cells) expect(printed.join('\n')).toContain(cell.variant.name);
    await REPORTERS.html.write(report, out(project.dir));
    expect(await readFile(join(project.dir, 'index.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    const self = gate({ baseline: { results, file }, candidate: { results, file } });
    expect(self.comparisons.length).toBeGreaterThan(0);
    expect(self.comparisons.filter((c) => c.verdict === 'regressed' || c.verdict === 'improved')).toEqual([]);
  });
});
