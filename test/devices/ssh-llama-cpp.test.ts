import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { pushForJob, sshDriver } from '../../harness/devices/ssh.ts';
import type { SshSpec } from '../../harness/devices/ssh/connection.ts';
import { shellWord } from '../../harness/devices/ssh/quote.ts';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';
import { boardSpec, SSHD_BINARY, startSshd, type TestSshd } from '../helpers/sshd.ts';

/**
 * GGUF cells on an SSH board (this machine behind a real OpenSSH server):
 * node-llama-cpp and its linux-x64 prebuilt are pushed beside the runner, and
 * llama.cpp on the board generates the tokens it generates on the host.
 */
const LLAMA_TJS = fileURLToPath(new URL('../fixtures/models/llama-tjs/', import.meta.url));
const PROMPT = [1, 15, 27, 40, 8];

let sshd: TestSshd;
let scratch: string;
let ggufFile: string;
const specs: SshSpec[] = [];

beforeAll(async () => {
  if (!existsSync(SSHD_BINARY))
    throw new Error(`${SSHD_BINARY} not found: install Debian's openssh-server and openssh-client (bash scripts/install-system-packages.sh does)`);
  scratch = await mkdtemp(join(tmpdir(), 'edgebench-ssh-gguf-'));
  await cp(LLAMA_TJS, join(scratch, 'llama-tjs'), { recursive: true });
  ggufFile = join(scratch, 'llama-q8_0.gguf');
  [sshd] = await Promise.all([startSshd(), convertToGguf({ input: join(scratch, 'llama-tjs'), quant: 'q8_0', output: ggufFile })]);
}, 120_000);

afterAll(async () => {
  await Promise.all(specs.map((spec) => sshDriver.release!(spec)));
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function testBoard(overrides: Partial<SshSpec> = {}): SshSpec {
  const spec = boardSpec(sshd, { id: 'board', remoteDir: join(scratch, 'board cache'), node: process.execPath, ...overrides });
  specs.push(spec);
  return spec;
}

const generateJob = (modelPath: string, name: 'llama.cpp' | 'onnxruntime-node'): RunnerJob => ({
  modelPath,
  // llama.cpp keeps its cache itself; an ONNX decoder's layout is read from its config.json.
  task: { kind: 'generate', maxNewTokens: 6, stopTokenIds: [], ...(name === 'onnxruntime-node' ? { cache: readModelConfig(modelPath).cache } : {}) },
  warmup: 0,
  iterations: 1,
  runtime: { name, intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: [{ id: 'p0', feeds: { input_ids: { type: 'int64', dims: [1, PROMPT.length], data: PROMPT } } }],
});

function cellOf(deviceId: string, job: RunnerJob, outcome: RunnerOutcome) {
  const variant = { name: 'v', file: job.modelPath, files: [{ path: 'model.gguf', bytes: 1, sha256: 'x' }], diskBytes: 1, sha256: 'x' };
  return cellResult({ deviceId, variant, runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 120_000 });
}
const onBoard = async (spec: SshSpec, job: RunnerJob) => cellOf(spec.id, job, await sshDriver.runCell(spec, job, { timeoutMs: 120_000 }));
const onHost = async (job: RunnerJob) => cellOf('host', job, await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 120_000 }));
const tokens = (cell: ReturnType<typeof cellOf>) => cell.outputs.map(({ output }) => (output.kind === 'generate' ? output.tokenIds : []));

describe('ssh board: GGUF cells through llama.cpp', () => {
  it('pushes node-llama-cpp with only the linux-x64 prebuilt, and generates the tokens the host generates', async () => {
    const spec = testBoard();
    const job = generateJob(ggufFile, 'llama.cpp');
    const pushed = await pushForJob(spec, job);
    const remote = pushed.pushed.map((f) => f.remote);
    expect(remote.some((f) => /\/node_modules\/@node-llama-cpp\/linux-x64\/bins\/linux-x64\/llama-addon\.node$/.test(f))).toBe(true);
    expect(remote.some((f) => /\/node_modules\/node-llama-cpp\/dist\/index\.js$/.test(f))).toBe(true);
    // No other platform's binary, no CUDA or Vulkan build, no llama.cpp sources: nothing to compile from.
    expect(remote.filter((f) => /@node-llama-cpp\/(?!linux-x64\/)/.test(f))).toEqual([]);
    expect(remote.filter((f) => /gitRelease\.bundle|\.cpp$|CMakeLists/.test(f))).toEqual([]);
    // The cache holds it by content: a second push sends nothing.
    expect((await pushForJob(spec, job)).pushed).toEqual([]);

    const [board, host] = [await onBoard(spec, job), await onHost(job)];
    expect(board.status, JSON.stringify(board.error)).toBe('ok');
    expect(host.status, JSON.stringify(host.error)).toBe('ok');
    expect(board.runtime).toMatchObject({ name: 'llama.cpp', version: host.runtime!.version, arch: 'x64' });
    expect(tokens(board)[0]).toHaveLength(6);
    expect(tokens(board)).toEqual(tokens(host));

    // The tree is checked before every start, through its check-file: a binary gone from the board is pushed again.
    const addon = remote.find((f) => f.endsWith('/llama-addon.node'))!;
    await rm(join(spec.remoteDir, addon));
    const again = await onBoard(spec, job);
    expect(again.status, JSON.stringify(again.error)).toBe('ok');
    expect(tokens(again)).toEqual(tokens(host));
    expect(existsSync(join(spec.remoteDir, addon))).toBe(true);
  }, 240_000);

  it('refuses GGUF cells on a board whose Node.js is older than 20, and still runs its ONNX cells', async () => {
    // Says it is v18, runs as this machine's Node.js: the runner itself starts on 18.
    const node18 = join(scratch, 'node18');
    await writeFile(node18, `#!/bin/sh\n[ "$1" = --version ] && { echo v18.19.1; exit 0; }\nexec ${shellWord(process.execPath)} "$@"\n`);
    await chmod(node18, 0o755);
    const spec = testBoard({ id: 'node18', node: node18 });
    expect(await sshDriver.unavailable!(spec)).toBeUndefined();

    const gguf = await onBoard(spec, generateJob(ggufFile, 'llama.cpp'));
    expect(gguf.status).not.toBe('ok');
    expect(gguf.error?.code).toBe('DEVICE_UNAVAILABLE');
    expect(gguf.error?.message).toBe(
      `device node18 (${sshd.user}@127.0.0.1:${sshd.port}): Node.js v18.19.1 on the board is too old for llama.cpp: node-llama-cpp needs Node.js 20 or newer (ONNX cells still run on v18.19.1); upgrade Node.js on the board (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to a Node.js 20 or newer there`,
    );
    const onnx = await onBoard(spec, generateJob(join(scratch, 'llama-tjs/onnx/model.onnx'), 'onnxruntime-node'));
    expect(onnx.status, JSON.stringify(onnx.error)).toBe('ok');
    expect(tokens(onnx)[0]).toHaveLength(6);
  }, 240_000);
});
