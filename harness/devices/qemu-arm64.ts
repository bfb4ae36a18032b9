import type { z } from 'zod';
import type { QemuArm64DeviceSpec } from '../core/device-spec.ts';
import { runnerBundle } from '../runner/bundle.ts';
import { spawnRunner, unavailableOutcome } from '../runner/spawn.ts';
import type { DeviceDriver } from './driver.ts';
import { qemuArm64Placement } from './qemu-arm64/placement.ts';
import { hostFacts } from './local.ts';
import { cpuView } from './qemu-arm64/cpu-view.ts';
import { findQemu, type QemuBinary } from './qemu-arm64/qemu-binary.ts';
import { findSysroot, setupCommandFor, type Sysroot } from './qemu-arm64/sysroot.ts';

type Spec = z.infer<typeof QemuArm64DeviceSpec>;

/**
 * An ARM64 board emulated on this machine: the same runner bundle, run by an
 * arm64 Node.js (from a Debian sysroot) under qemu-aarch64 user-mode emulation,
 * so onnxruntime-node loads its linux/arm64 binary and its ARM kernels compute
 * the outputs. Those outputs, and accuracy and fidelity scored from them, are
 * what an ARM board computes; latency and memory are the emulator's.
 */
export const qemuArm64Driver: DeviceDriver<Spec> = {
  kind: 'qemu-arm64',
  placement: qemuArm64Placement,
  takesTurns: true,
  pairsRounds: true,
  latency: 'emulated',

  async facts(spec) {
    const host = await hostFacts();
    const qemu = findQemu(spec.qemu);
    const sysroot = findSysroot(spec.sysroot);
    const cpu = spec.cpuModel;
    return {
      ...host,
      cpuModel: `qemu-aarch64 user-mode emulation of an ARM64 CPU (-cpu ${cpu}) on ${host.cpuModel}`,
      os: `${host.os} (host), arm64 user space from ${sysroot.dir}`,
      kernel: `${host.kernel} (host kernel; qemu-aarch64 translates the system calls)`,
      arch: 'arm64',
      source: `systeminformation on the host; arm64 and the CPU model from the qemu-arm64 driver (${qemu.ok ? qemu.version : qemu.problem})`,
      constraints:
        qemu.ok && sysroot.ok
          ? constraintsOf(qemu, cpu, sysroot.builtFrom)
          : `unavailable: ${[qemu, sysroot].flatMap((c) => (c.ok ? [] : [c.problem])).join('; ')}`,
    };
  },

  async unavailable(spec) {
    const ready = readiness(spec);
    return ready.ok ? undefined : ready.problem;
  },

  async runCell(spec, job, context) {
    const ready = readiness(spec);
    if (!ready.ok) return unavailableOutcome(ready.problem);
    const { qemu, sysroot, cpu } = ready;
    let root: string;
    try {
      root = await cpuView(sysroot.dir, cpu);
    } catch (error) {
      return unavailableOutcome(
        `device ${spec.id}: the sysroot view for -cpu ${cpu} could not be written (${(error as Error).message}); check that edgebench's .cache/ directory is writable`,
      );
    }
    // -L makes the guest's absolute paths (the dynamic loader, libc, /usr/share/nodejs, /proc/cpuinfo) resolve in
    // the sysroot's view first; paths absent there, such as the bundle and the model, are the host's own.
    // --jitless: V8 would compile the runner's JavaScript to arm64 code that qemu then translates again. The runner's
    // JavaScript is not what is measured (onnxruntime's native kernels are), and interpreting it shortened each
    // process by about 1.2 s (3 demo classifier cells: 20.4-20.7 s against 16.7-17.5 s).
    const args = ['-L', root, '-cpu', cpu, sysroot.node, '--jitless', await runnerBundle()];
    const outcome = await spawnRunner({ file: qemu.path, args, env: { NODE_OPTIONS: '' } }, job, context);
    return { ...outcome, constraints: constraintsOf(qemu, cpu, sysroot.builtFrom) };
  },
};

/** What the device needs before a cell can run: qemu, the sysroot, a CPU model qemu has and emulates correctly. */
function readiness(spec: Spec): { ok: true; qemu: QemuBinary; sysroot: Extract<Sysroot, { ok: true }>; cpu: string } | { ok: false; problem: string } {
  const qemu = findQemu(spec.qemu);
  if (!qemu.ok)
    return {
      ok: false,
      problem: `device ${spec.id} cannot be emulated: ${qemu.problem}. Install Debian's qemu-user package (bash scripts/setup.sh does), or set qemu: in devices.yaml to the qemu-aarch64 binary`,
    };
  const sysroot = findSysroot(spec.sysroot);
  if (!sysroot.ok) return { ok: false, problem: `device ${spec.id} cannot be emulated: ${sysroot.problem}. Build it with: ${setupCommandFor(sysroot.dir)}` };
  const cpu = spec.cpuModel;
  if (!qemu.cpuModels.includes(cpu))
    return {
      ok: false,
      problem: `device ${spec.id}: ${qemu.path} has no CPU model "${cpu}"; set cpuModel in devices.yaml to one of: ${qemu.cpuModels.join(', ')}`,
    };
  const wrong = knownWrong(qemu, cpu);
  if (wrong) return { ok: false, problem: `device ${spec.id}: ${wrong}` };
  return { ok: true, qemu, sysroot, cpu };
}

/**
 * Emulations known to compute wrong outputs, which would be recorded as the
 * board's accuracy. qemu 7.2 (Debian 12) with -cpu max: onnxruntime's fused int8
 * MatMul (graph optimization "extended" and up) takes an SVE path that qemu 7.2
 * miscomputes; the demo classifier's int8 accuracy falls from 99% to 15.5%.
 * The same run is right with -cpu max,sve=off, with the named cores tried
 * (cortex-a53, cortex-a72, cortex-a76, neoverse-n1, a64fx), and under qemu 10.0.
 */
function knownWrong(qemu: QemuBinary, cpu: string): string | undefined {
  const major = Number(/version (\d+)\./.exec(qemu.version)?.[1]);
  if (cpu === 'max' && major <= 7)
    return `${qemu.version} miscomputes the SVE instructions onnxruntime's int8 kernels use with -cpu max (outputs would be wrong); set cpuModel to a named core such as cortex-a76, or use qemu 10 or newer`;
  return undefined;
}

function constraintsOf(qemu: QemuBinary, cpu: string, builtFrom: string): string {
  return `qemu-aarch64 user-mode emulation (${qemu.version}, -cpu ${cpu}), ${builtFrom}, Node.js --jitless: outputs are computed by onnxruntime's arm64 kernels; timings are emulated: not representative of real hardware (memory includes the emulator's own)`;
}
