import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWrite } from '../../files/atomic-write.ts';

// Beside the default sysroot in edgebench's .cache/, which setup-arm64 already needs to write.
const VIEWS_DIR = fileURLToPath(new URL('../../../.cache/qemu-cpu-views/', import.meta.url));

/**
 * MIDR_EL1 of each CPU model qemu-aarch64 7.2 has (target/arm/cpu64.c). "max"
 * has implementer 0 ("reserved for software use") and part 'Q': qemu's own.
 */
const MIDR: Record<string, number> = {
  a64fx: 0x461f0010,
  'cortex-a35': 0x411fd040,
  'cortex-a53': 0x410fd034,
  'cortex-a57': 0x411fd070,
  'cortex-a72': 0x410fd083,
  'cortex-a76': 0x414fd0b1,
  'neoverse-n1': 0x414fd0c1,
  max: 0x000f0510,
};

/**
 * The directory to hand qemu as -L for a CPU model: the sysroot, seen through
 * symlinks, plus a /proc/cpuinfo describing that model.
 *
 * Why: qemu-aarch64 7.2 (Debian 12's) passes the host's /proc/cpuinfo through,
 * and onnxruntime's cpuinfo library, finding x86 entries and no ARM ones,
 * crashes (SIGSEGV) while loading. qemu resolves the guest's absolute paths in
 * the -L directory first, so an ARM /proc/cpuinfo there is what the guest reads
 * (qemu 10 emulates the file itself, and this one goes unread). Its MIDR names the
 * emulated model, so onnxruntime picks the kernels it would pick on that core.
 * The sysroot itself is never written: a user's own may be read-only.
 */
export async function cpuView(sysroot: string, cpuModel: string): Promise<string> {
  const view = join(VIEWS_DIR, createHash('sha256').update(sysroot).digest('hex').slice(0, 12), cpuModel);
  await mkdir(join(view, 'proc'), { recursive: true });
  for (const entry of readdirSync(sysroot)) {
    if (entry === 'proc' || existsSync(join(view, entry))) continue;
    await symlink(relative(view, join(sysroot, entry)), join(view, entry)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  const cpuinfo = join(view, 'proc', 'cpuinfo');
  const text = procCpuinfo(cpuModel, onlineCpus());
  if ((await readFile(cpuinfo, 'utf8').catch(() => '')) !== text) {
    // Written atomically, so a guest starting meanwhile never reads half a file.
    await atomicWrite(cpuinfo, text);
  }
  return view;
}

/** /proc/cpuinfo as arm64 Linux writes it, one entry per processor the host has online (cpuinfo checks them against sysfs). */
export function procCpuinfo(cpuModel: string, processors: number[]): string {
  // A model added by a newer qemu gets qemu's own "software" MIDR: cpuinfo then knows no vendor, and onnxruntime uses its generic kernels.
  const midr = MIDR[cpuModel] ?? MIDR.max!;
  const hex = (value: number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;
  // The kernel's own layout (arch/arm64/kernel/cpuinfo.c), less the BogoMIPS and Features lines: on arm64, cpuinfo reads features from AT_HWCAP, which qemu sets for the model.
  const entry = (id: number) =>
    `processor\t: ${id}\nCPU implementer\t: ${hex(midr >>> 24, 2)}\nCPU architecture: 8\nCPU variant\t: ${hex((midr >>> 20) & 0xf, 1)}\nCPU part\t: ${hex((midr >>> 4) & 0xfff, 3)}\nCPU revision\t: ${midr & 0xf}\n\n`;
  return processors.map(entry).join('');
}

/** The host's online CPU ids, from sysfs ("0-3,6"), else 0..n-1. */
function onlineCpus(): number[] {
  try {
    return readFileSync('/sys/devices/system/cpu/online', 'utf8')
      .trim()
      .split(',')
      .flatMap((range) => {
        const [first, last = first] = range.split('-').map(Number) as [number, number?];
        return Array.from({ length: last! - first + 1 }, (_, k) => first + k);
      });
  } catch {
    return cpus().map((_, k) => k);
  }
}
