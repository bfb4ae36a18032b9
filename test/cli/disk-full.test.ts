import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../harness/results/journal.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
let mounted = false;
beforeAll(async () => {
  project = await smallProject();
  await project.write(
    'suites/two.yaml',
    suiteYaml({
      iterations: 2000,
      repeats: 3,
      variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}',
    }),
  );
  // The results folder on a 96 KiB tmpfs: the journal of this run needs several times that.
  mkdirSync(project.path('full'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'edgebench-disk-full', project.path('full')]);
  mounted = true;
});
afterAll(async () => {
  if (mounted) execFileSync('umount', [project.path('full')]);
  await project.cleanup();
});

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });

describe('a results folder that fills up (a real tmpfs, as root)', () => {
  it('stops with a clear error keeping what was written, and resumes once there is space', async () => {
    const full = await edgebench(['run', '--suite', 'suites/two.yaml', '--out', 'full', '--run-id', 'r', '--no-report']);
    // Not a failed cell (exit 1): the folder is in the way, named with the cause.
    expect(full.exitCode).toBe(2);
    expect(full.stderr).toMatch(
      /edgebench: cannot write to full\/r: the disk is full \(ENOSPC\)\. The run stopped; what was written before is kept\. To go on, free space, then finish it with: edgebench run --resume full\/r/,
    );
    // No temp file of a results.json that did not fit is left behind, and the lock is released.
    expect(readdirSync(project.path('full/r')).sort()).toEqual(['journal.jsonl', 'results.json']);
    const kept = await readJournal(project.path('full/r/journal.jsonl'));
    expect(kept.completed.length).toBeGreaterThan(0);
    expect(kept.completed.length).toBeLessThan(6);

    execFileSync('mount', ['-o', 'remount,size=16m', project.path('full')]);
    const resumed = await edgebench(['run', '--resume', 'full/r', '--no-report']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const results = Results.parse(JSON.parse(readFileSync(project.path('full/r/results.json'), 'utf8')));
    expect(results.status).toBe('complete');
    expect(results.cells.map((c) => [c.variant.name, c.status, c.samples.length])).toEqual([
      ['a', 'ok', 6000],
      ['b', 'ok', 6000],
    ]);
  }, 120_000);
});
