import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriver } from '../../harness/devices/local.ts';
import { qemuArm64Driver } from '../../harness/devices/qemu-arm64.ts';
import { findQemu } from '../../harness/devices/qemu-arm64/qemu-binary.ts';
import { findSysroot } from '../../harness/devices/qemu-arm64/sysroot.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { maxAbs, maxAbsDiff, randomMatrix, writeSingleMatMul } from '../helpers/models.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

// Real emulation, no mocks: an arm64 Node.js from the sysroot under qemu-aarch64. CI builds the sysroot before the tests.
const K = 512;
const CLASSES = 32;
const board = (overrides: Record<string, unknown> = {}) => ({
  id: 'arm64-emu',
  kind: 'qemu-arm64' as const,
  qemu: 'qemu-aarch64',
  cpuModel: 'cortex-a76',
  ...overrides,
});
const host = { id: 'host', kind: 'local' as const };
const variant = (file: string) => ({
  name: 'v',
  precision: 'fp32' as const,
  file,
  files: [{ path: 'model.onnx', bytes: 1, sha256: 'x' }],
  diskBytes: 1,
  sha256: 'x',
});
const cellOf = (outcome: RunnerOutcome, job: RunnerJob) =>
  cellResult({ deviceId: 'd', variant: variant(job.modelPath), runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 60_000 });
const runtime = { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

/** Runs `job` on the board and on the host at once (two cores) and returns both cells. */
async function boardAndHost(spec: ReturnType<typeof board>, job: RunnerJob) {
  const [emulated, local] = await Promise.all([
    qemuArm64Driver.runCell(spec, job, { timeoutMs: 60_000 }),
    localDriver.runCell(host, job, { timeoutMs: 60_000 }),
  ]);
  return { cell: cellOf(emulated, job), reference: cellOf(local, job) };
}

/** Each example's logits on the board against the host's: the same class, values within `relative` of the largest. */
function expectSameLogits(cell: ReturnType<typeof cellOf>, reference: ReturnType<typeof cellOf>, relative: number) {
  expect(cell.outputs.map((o) => o.exampleId)).toEqual(reference.outputs.map((o) => o.exampleId));
  expect(cell.outputs.length).toBeGreaterThan(0);
  cell.outputs.forEach(({ output }, i) => {
    const expected = reference.outputs[i]!.output;
    if (output.kind !== 'classify' || expected.kind !== 'classify') throw new Error('classify outputs expected');
    expect(maxAbsDiff(output.logits, expected.logits)).toBeLessThanOrEqual(relative * Math.max(1e-3, maxAbs(expected.logits)));
    expect(output.classIndex).toBe(expected.classIndex);
  });
}

let project: TempProject;
let matmul: RunnerJob;
let int8: RunnerJob;
beforeAll(async () => {
  const sysroot = findSysroot(undefined);
  if (!sysroot.ok) throw new Error(`${sysroot.problem}: build it with \`npm run setup:arm64\` before running these tests`);
  const qemu = findQemu('qemu-aarch64');
  if (!qemu.ok) throw new Error(`${qemu.problem}: install Debian's qemu-user (bash scripts/setup.sh)`);
  project = await tempProject();
  // A 512 x 32 MatMul: onnxruntime's SGEMM kernel for the runner's architecture computes every logit.
  const model = project.path('matmul.onnx');
  await writeSingleMatMul(model, randomMatrix(K, CLASSES, 1, 0.05), K, CLASSES);
  matmul = {
    modelPath: model,
    task: { kind: 'classify' },
    warmup: 2,
    iterations: 12,
    runtime,
    examples: [0, 1, 2, 3].map((i) => ({ id: `ex-${i}`, feeds: { x: { type: 'float32', dims: [1, K], data: Array.from(randomMatrix(1, K, 10 + i)) } } })),
  };
  // A small classifier quantized to int8: dynamic quantization and integer MatMul kernels, fused by the graph optimizer.
  const { outputFile } = await quantizeModel({ input: await writeSmallModel(project), output: project.path('models/small/model_quantized.onnx'), to: 'int8' });
  int8 = {
    modelPath: outputFile,
    task: { kind: 'classify' },
    warmup: 1,
    iterations: 6,
    runtime,
    examples: [0, 1, 2].map((i) => ({ id: `ex-${i}`, feeds: { input_ids: { type: 'int64', dims: [1, 4], data: [1 + i, 7 + 2 * i, 13, 40 - i] } } })),
  };
});
afterAll(() => project?.cleanup());

describe('qemu-arm64 device (real qemu-aarch64 emulation)', () => {
  it('runs the runner in an arm64 Node.js with the arm64 onnxruntime binding, and its fp32 outputs match the host within float rounding', async () => {
    const { cell, reference } = await boardAndHost(board(), matmul);
    expect(cell.error).toBeUndefined();
    expect(cell.status).toBe('ok');
    // process.arch of the runner: onnxruntime-node loads bin/napi-v6/linux/<arch>/, so arm64 here means the arm64 binding ran.
    expect(cell.runtime).toMatchObject({ platform: 'linux', arch: 'arm64', node: expect.stringMatching(/^v18\./) });
    expect(reference.runtime?.arch).toBe('x64');
    expect(cell.samples).toHaveLength(12);
    expect(cell.constraints).toMatch(
      /^qemu-aarch64 user-mode emulation \(qemu-aarch64 version [\d.]+.*, -cpu cortex-a76\), Node\.js v18.*timings are emulated: not representative of real hardware/,
    );
    // NEON and AVX sum in a different order: equal to float32 rounding, not bit for bit.
    expectSameLogits(cell, reference, 1e-5);
  }, 180_000);

  it("runs int8 kernels for the CPU model set in devices.yaml with the host's outputs, and describes the device as emulated arm64 on this host", async () => {
    // cortex-a53 has no dot-product instructions, cortex-a76 has: two families of onnxruntime's integer kernels.
    for (const cpuModel of ['cortex-a53', 'cortex-a76']) {
      const { cell, reference } = await boardAndHost(board({ cpuModel }), int8);
      expect(cell.status).toBe('ok');
      expect(cell.constraints).toContain(`-cpu ${cpuModel}`);
      expectSameLogits(cell, reference, 1e-4);
    }
    const facts = await qemuArm64Driver.facts(board({ cpuModel: 'cortex-a53' }));
    const hostFacts = await localDriver.facts(host);
    expect(facts).toMatchObject({
      arch: 'arm64',
      logicalCores: hostFacts.logicalCores,
      memoryBytes: hostFacts.memoryBytes,
      constraints: expect.stringContaining('not representative of real hardware'),
    });
    expect(facts.cpuModel).toBe(`qemu-aarch64 user-mode emulation of an ARM64 CPU (-cpu cortex-a53) on ${hostFacts.cpuModel}`);
    expect(facts.kernel).toContain(hostFacts.kernel);
  }, 180_000);
});

describe('qemu-arm64 device that cannot be emulated', () => {
  it('is unavailable without its sysroot, naming the directory and the command that builds it', async () => {
    const missing = project.path('no-sysroot');
    const cell = cellOf(await qemuArm64Driver.runCell(board({ sysroot: missing }), matmul, { timeoutMs: 60_000 }), matmul);
    expect(cell.status).toBe('failed');
    expect(cell.error).toEqual({
      code: 'DEVICE_UNAVAILABLE',
      message: `device arm64-emu cannot be emulated: the arm64 sysroot ${missing} does not exist. Build it with: npm run setup:arm64 -- ${missing}`,
    });
    expect((await qemuArm64Driver.facts(board({ sysroot: missing }))).constraints).toBe(`unavailable: the arm64 sysroot ${missing} does not exist`);
  });

  it('is unavailable without qemu-aarch64, or with a CPU model qemu lacks or emulates wrongly, and says what to install or choose', async () => {
    const unavailable = async (overrides: Record<string, unknown>) =>
      cellOf(await qemuArm64Driver.runCell(board(overrides), matmul, { timeoutMs: 60_000 }), matmul).error;
    expect(await unavailable({ qemu: 'qemu-aarch64-not-installed' })).toMatchObject({
      code: 'DEVICE_UNAVAILABLE',
      message: expect.stringMatching(/qemu-aarch64-not-installed was not found on PATH\. Install Debian's qemu-user package/),
    });
    expect(await unavailable({ cpuModel: 'cortex-z9' })).toMatchObject({
      code: 'DEVICE_UNAVAILABLE',
      message: expect.stringMatching(/has no CPU model "cortex-z9"; set cpuModel in devices.yaml to one of: .*cortex-a53/),
    });
    const qemu = findQemu('qemu-aarch64');
    // Debian 12's qemu 7.2 gives onnxruntime's int8 kernels wrong results with -cpu max (SVE): refused rather than recorded.
    if (qemu.ok && /version 7\./.test(qemu.version)) {
      expect(await unavailable({ cpuModel: 'max' })).toMatchObject({
        code: 'DEVICE_UNAVAILABLE',
        message: expect.stringMatching(/miscomputes the SVE instructions .* set cpuModel to a named core such as cortex-a76/),
      });
    }
  });
});
