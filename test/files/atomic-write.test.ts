import { lstat, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from '../../harness/files/atomic-write.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
let dir: string;
beforeEach(async () => {
  project = await tempProject();
  dir = project.dir;
});
afterEach(() => project.cleanup());

describe('atomicWrite', () => {
  it('replaces a regular file whole and leaves no temp file', async () => {
    const file = join(dir, 'out.json');
    await writeFile(file, 'old');
    await atomicWrite(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['out.json']);
  });

  it('writes through a link the user made, keeping the link', async () => {
    const target = join(dir, 'target.md');
    const link = join(dir, 'summary.md');
    await writeFile(target, 'old');
    await symlink(target, link);
    await atomicWrite(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new');
  });
});
