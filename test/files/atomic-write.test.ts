import { lstat, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from '../../harness/files/atomic-write.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

describe('atomicWrite', () => {
  it('replaces a regular file whole and leaves no temp file', async () => {
    const file = project.path('out.json');
    await writeFile(file, 'old');
    await atomicWrite(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(project.dir)).toEqual(['out.json']);
  });

  it('writes through a link the user made, keeping the link', async () => {
    const target = project.path('target.md');
    const link = project.path('summary.md');
    await writeFile(target, 'old');
    await symlink(target, link);
    await atomicWrite(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new');
  });
});
