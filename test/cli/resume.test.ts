import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../harness/results/journal.ts';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await project.write(
    'suites/two.yaml',
    suiteYaml({
      iterations: 3000,
      repeats: 3,
      variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/model.onnx}',
    }),
  );
});
afterAll(() => project.cleanup());

const edgebench = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
const results = async (run: string) => Results.parse(JSON.parse(await readFile(project.path(`reports/${run}/results.json`), 'utf8')));

/** Runs the two-variant suite and sends SIGINT while its third runner process runs. */
async function interruptedRun(runId: string) {
  const child = execa(process.execPath, [BIN, 'run', '--suite', 'suites/two.yaml', '--run-id', runId, '--no-report'], { cwd: project.dir, reject: false });
  child.stderr.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('[3/6]')) setTimeout(() => child.kill('SIGINT'), 150);
  });
  return child;
}

describe('edgebench run --resume (the real CLI)', () => {
  it('keeps the runner processes measured before Ctrl-C and runs only the rest', async () => {
    const stopped = await interruptedRun('resumable');
    expect(stopped.exitCode).toBe(130);
    expect(stopped.stderr).toContain('finish it with: edgebench run --resume reports/resumable');
    const journal = await readJournal(project.path('reports/resumable/journal.jsonl'));
    // Two processes ended on their own; the third was stopped, so its part-measurement does not count.
    expect(journal.completed).toHaveLength(2);
    const before = await results('resumable');
    const kept = before.cells.flatMap((c) => (c.repeats ?? []).filter((r) => r.status === 'ok').map((r) => `${c.variant.name}/${r.startedAt}`));
    expect(kept).toHaveLength(2);

    const resumed = await edgebench(['run', '--resume', 'reports/resumable', '--no-report']);
    expect(resumed.stderr).not.toMatch(/\[[12]\/6\]/);
    expect(resumed.exitCode).toBe(0);
    const after = await results('resumable');
    expect(after.status).toBe('complete');
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.cells.map((c) => [c.variant.name, c.status, (c.repeats ?? []).length, c.samples.length])).toEqual([
      ['a', 'ok', 3, 9000],
      ['b', 'ok', 3, 9000],
    ]);
    // The processes measured before the interruption are the same records, not measured again.
    const all = after.cells.flatMap((c) => (c.repeats ?? []).map((r) => `${c.variant.name}/${r.startedAt}`));
    for (const record of kept) expect(all).toContain(record);
    expect((await readJournal(project.path('reports/resumable/journal.jsonl'))).completed).toHaveLength(6);
  }, 120_000);

  it('refuses to resume a run whose suite or models changed since, naming what changed', async () => {
    const stopped = await interruptedRun('changed');
    expect(stopped.exitCode).toBe(130);
    const suite = await readFile(project.path('suites/two.yaml'), 'utf8');
    await writeFile(project.path('suites/two.yaml'), suite.replace('iterations: 3000', 'iterations: 2000'));
    try {
      const refused = await edgebench(['run', '--resume', 'reports/changed']);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/run changed cannot be resumed: the suite suites\/two\.yaml changed/);
      expect(refused.stderr).toMatch(/start a new run/);
    } finally {
      await writeFile(project.path('suites/two.yaml'), suite);
    }
  }, 120_000);

  it('reads past a last line cut short, and names a damaged line anywhere else', async () => {
    const stopped = await interruptedRun('damaged');
    expect(stopped.exitCode).toBe(130);
    const file = project.path('reports/damaged/journal.jsonl');
    await appendFile(file, '{"type":"event","attempt":2,"ev');
    expect((await readJournal(file)).completed).toHaveLength(2);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = '{"type": "nonsense"}';
    await writeFile(file, lines.join('\n'));
    const refused = await edgebench(['run', '--resume', 'reports/damaged']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/journal\.jsonl, line 4: not a journal entry/);
    expect((await edgebench(['run', '--resume', 'reports/nowhere'])).stderr).toMatch(/reports\/nowhere\/journal\.jsonl not found/);
  }, 120_000);

  it('resumes a paired A/B run with paired rounds, as it began', async () => {
    const run = await edgebench(['run', '--suite', 'suites/two.yaml', '--ab', 'a,b', '--rounds', '3', '--paired', '--run-id', 'paired-cut', '--no-report']);
    expect(run.exitCode).toBe(0);
    // Cut the journal after the first round (each variant alone), as a crash there would leave it.
    const file = project.path('reports/paired-cut/journal.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    const ends = lines.flatMap((line, i) => (line.includes('"type":"end"') ? [i] : []));
    await writeFile(file, lines.slice(0, ends[1]! + 1).join('\n') + '\n');
    expect((await readJournal(file)).header.fingerprint.ab).toMatchObject({ a: 'a', b: 'b', rounds: 3, pairing: 'paired' });

    const resumed = await edgebench(['run', '--resume', 'reports/paired-cut', '--no-report']);
    expect(resumed.exitCode).toBe(0);
    const finished = await results('paired-cut');
    expect(finished.ab).toMatchObject({ pairedOn: ['host'] });
    for (const cell of finished.cells)
      expect(cell.repeats!.map((r) => r.pairedWith)).toEqual([undefined, cell.variant.name === 'a' ? 'b' : 'a', cell.variant.name === 'a' ? 'b' : 'a']);
  }, 120_000);

  it('will not start a new run in a folder that holds one', async () => {
    const first = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'taken', '--no-report']);
    expect(first.exitCode).toBe(0);
    const again = await edgebench(['run', '--suite', 'suites/small.yaml', '--run-id', 'taken', '--no-report']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already holds a run.*--resume reports\/taken/s);
  }, 60_000);
});
