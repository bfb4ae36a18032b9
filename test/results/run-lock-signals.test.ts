import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockRunFolder } from '../../harness/results/run-lock.ts';
import { readResults } from '../../harness/results/read-results.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const LOCK = fileURLToPath(new URL('../../harness/results/run-lock.ts', import.meta.url));

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

describe('the run folder lock and signals', () => {
  it('leaves SIGHUP its default action while a child process runs, and the next holder takes the lock over', async () => {
    // A command holding the lock with a child running (as run does with its runners), then hung up on.
    const script = `
      import { execa } from 'execa';
      import { lockRunFolder } from ${JSON.stringify(LOCK)};
      lockRunFolder(${JSON.stringify(project.dir)}, 'run');
      const child = execa('sleep', ['30']);
      console.log('locked');
      await child;`;
    const holder = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      reject: false,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    await new Promise<void>((ready) => holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && ready()));
    holder.kill('SIGHUP');
    const ended = await holder;
    expect(ended.signal).toBe('SIGHUP');
    // Ended by the signal, it left its lock; the next command finds the pid gone and takes it over.
    expect(existsSync(project.path('edgebench.lock'))).toBe(true);
    const lock = lockRunFolder(project.dir, 'run --resume');
    expect(lock.tookOverFrom?.command).toBe('run');
    lock.release();
  });

  it('refuses a results file that is a FIFO instead of waiting for a writer', async () => {
    const fifo = project.path('results.json');
    await execa('mkfifo', [fifo]);
    await expect(readResults(fifo)).rejects.toThrow(/named pipe \(FIFO\), not a regular file/);
  });
});
