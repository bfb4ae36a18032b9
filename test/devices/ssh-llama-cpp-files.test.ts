import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaCppProblem, MIN_LLAMA_CPP_NODE_MAJOR, parseProbe } from '../../harness/devices/ssh/board.ts';
import { SshDeviceSpec } from '../../harness/core/device-spec.ts';
import { llamaCppFiles } from '../../harness/devices/ssh/llama-cpp-files.ts';
import { manifestOf } from '../../harness/devices/ssh/push.ts';
import { nodeLlamaCppDir } from '../../harness/runtimes/llama-cpp-binding.ts';

/** Why an SSH board cannot run GGUF cells, and what is pushed to one that can. */
const spec = SshDeviceSpec.parse({ id: 'rpi5', kind: 'ssh', host: 'rpi5.local', user: 'pi' });
const ENDPOINT = 'pi@rpi5.local:22';

/** What the board probe reads from a board with this Node.js and glibc. */
const board = (node: string, glibc?: string) =>
  parseProbe(['@@home', '/home/pi', '@@machine', 'aarch64', '@@glibc', glibc ? `glibc ${glibc}` : '', '@@node', '0', node, '@@end'].join('\n'), ENDPOINT)!;

describe('llamaCppProblem: GGUF cells on an SSH board', () => {
  it('refuses Node.js older than 20, naming the version and the fix (the board still runs ONNX cells)', () => {
    expect(llamaCppProblem(board('v18.19.1', '2.36'), spec, ENDPOINT)).toBe(
      'device rpi5 (pi@rpi5.local:22): Node.js v18.19.1 on the board is too old for llama.cpp: node-llama-cpp needs Node.js 20 or newer (ONNX cells still run on v18.19.1); upgrade Node.js on the board (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to a Node.js 20 or newer there',
    );
    expect(llamaCppProblem(board('v20.0.0', '2.36'), spec, ENDPOINT)).toBeUndefined();
    expect(llamaCppProblem(board('v22.12.0'), spec, ENDPOINT)).toBeUndefined();
  });

  it("refuses a glibc older than the prebuilt binaries' 2.34", () => {
    expect(llamaCppProblem(board('v20.18.1', '2.31'), spec, ENDPOINT)).toBe(
      "device rpi5 (pi@rpi5.local:22): glibc 2.31 on the board is older than the 2.34 that node-llama-cpp's prebuilt llama.cpp binaries need (ONNX cells still run): upgrade the board's OS (Ubuntu 22.04, Debian 12 / Raspberry Pi OS bookworm or newer)",
    );
    expect(llamaCppProblem(board('v20.18.1', '2.34'), spec, ENDPOINT)).toBeUndefined();
  });

  it("takes its Node.js floor from node-llama-cpp's own engines field", () => {
    const engines = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines(nodeLlamaCppDir())).toBe(`>=${MIN_LLAMA_CPP_NODE_MAJOR}.0.0`);
    expect(engines(join(nodeLlamaCppDir(), '../@node-llama-cpp/linux-arm64'))).toBe(`>=${MIN_LLAMA_CPP_NODE_MAJOR}.0.0`);
  });
});

describe('llamaCppFiles: the tree pushed for GGUF cells', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'edgebench-llama-files-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('refuses an architecture whose prebuilt package is not installed, naming the package; nothing is downloaded or built', async () => {
    // node-llama-cpp installed without its platform packages.
    const bare = join(scratch, 'node_modules/node-llama-cpp');
    await mkdir(bare, { recursive: true });
    await copyFile(join(nodeLlamaCppDir(), 'package.json'), join(bare, 'package.json'));
    await expect(llamaCppFiles('arm64', bare)).rejects.toThrow(
      "@node-llama-cpp/linux-arm64 (node-llama-cpp's prebuilt llama.cpp for linux-arm64) is not installed here, and edgebench neither downloads nor compiles it",
    );
  });

  it("holds node-llama-cpp's JavaScript, its dependencies and only the board's prebuilt, listed in the check-file", async () => {
    const tree = await llamaCppFiles('arm64');
    expect(tree.dir).toMatch(/^runtimes\/node-llama-cpp-3\.21\.1-linux-arm64-[0-9a-f]{16}$/);
    expect(tree.packageDir).toBe(`${tree.dir}/node_modules/node-llama-cpp`);
    const paths = tree.files.map((f) => f.remote.slice(tree.dir.length + 1));
    expect(paths).toContain('node_modules/node-llama-cpp/dist/index.js');
    expect(paths).toContain('node_modules/node-llama-cpp/llama/binariesGithubRelease.json');
    expect(paths).toContain('node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64/llama-addon.node');
    expect(paths).toContain('node_modules/chalk/package.json');
    expect(paths.filter((p) => p.startsWith('node_modules/@node-llama-cpp/') && !p.startsWith('node_modules/@node-llama-cpp/linux-arm64/'))).toEqual([]);
    // Nothing to build llama.cpp from: no source bundle, no CMake files, no type declarations.
    expect(paths.filter((p) => /gitRelease\.bundle|CMakeLists|\.cpp$|\.d\.ts$/.test(p))).toEqual([]);
    // The check-file lists every other file of the tree, by its path under the board's cache.
    expect(tree.files.at(-1)).toBe(tree.manifest);
    expect(tree.manifest.remote).toBe(`${tree.dir}/files.sha256`);
    expect(readFileSync(tree.manifest.local, 'utf8')).toBe(manifestOf(tree.files.slice(0, -1)));

    const x64 = await llamaCppFiles('x64');
    expect(x64.dir).not.toBe(tree.dir);
    expect(x64.files.some((f) => f.remote.endsWith('/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node'))).toBe(true);
    expect(x64.files.some((f) => f.remote.includes('/@node-llama-cpp/linux-arm64/'))).toBe(false);
  });
});
