import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarArchive } from '../../harness/devices/ssh/tar-archive.ts';

/** The tar stream small files travel to a board in, unpacked by GNU tar as the board's shell does. */
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'edgebench-tar-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('tarArchive', () => {
  it('holds short paths, paths ustar splits at a slash, and paths only pax can carry, byte for byte', async () => {
    const entries = [
      { path: 'a.json', data: Buffer.from('{}\n') },
      { path: 'empty', data: new Uint8Array(0) },
      {
        path: `runtimes/node-llama-cpp-3.21.1-linux-x64-69e78d2cda86d9ff/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node`,
        data: randomBytes(1300),
      },
      { path: `deep/${'d'.repeat(120)}/${'e'.repeat(120)}/f.js`, data: randomBytes(512) },
      { path: `long/${'n'.repeat(140)}.js`, data: Buffer.from('ünïcode ✓') },
    ];
    const archive = tarArchive(entries);
    expect(archive.length % 512).toBe(0);
    await execa('tar', ['-x', '-f', '-', '-C', scratch], { input: archive });
    for (const { path, data } of entries) expect(Buffer.compare(await readFile(join(scratch, path)), Buffer.from(data)), path).toBe(0);
    const listed = (await execa('tar', ['-t', '-f', '-'], { input: archive })).stdout.split('\n');
    expect(listed).toEqual(entries.map((e) => e.path));
  });
});
