import type { DeviceFacts } from '../../core/device-facts.ts';
import type { SshSpec } from './connection.ts';
import { shellWord } from './quote.ts';

/** Node.js major version the runner bundle is built for (esbuild target node18). */
export const MIN_NODE_MAJOR = 18;

/** libonnxruntime.so.1 of onnxruntime-node 1.30 links against GLIBC_2.28 symbols (objdump -T), for x64 and arm64 alike. */
const MIN_GLIBC = [2, 28] as const;

/** node-llama-cpp 3.21.1's engines field ("node": ">=20.0.0"), for itself and its @node-llama-cpp/linux-* binaries. */
export const MIN_LLAMA_CPP_NODE_MAJOR = 20;

/** The @node-llama-cpp/linux-x64 and linux-arm64 binaries of 3.21.1 link against GLIBC_2.34 symbols (objdump -T). */
const MIN_LLAMA_CPP_GLIBC = [2, 34] as const;

/** onnxruntime-node ships Linux binaries for these architectures (uname -m -> Node.js' process.arch). */
const ARCHES: Record<string, 'x64' | 'arm64'> = { x86_64: 'x64', aarch64: 'arm64', arm64: 'arm64' };

/** What one probe command learned about the board. */
export interface Board {
  home: string;
  /** uname -m */
  machine: string;
  /** Node.js' name for it, when onnxruntime-node has binaries for it. */
  arch: 'x64' | 'arm64' | undefined;
  node: { status: number; output: string };
  /** "2.36", or undefined when the C library is not glibc (or getconf does not say). */
  glibc: string | undefined;
  tools: Set<string>;
  facts: DeviceFacts;
}

const SECTION_END = '@@end';

/**
 * One command that reads everything edgebench needs from the board, as
 * sections headed "@@name". Fixed text except the node binary, which is quoted.
 * Missing files and tools leave their section empty: the facts then say so.
 */
export function probeScript(node: string): string {
  return [
    'echo @@home; echo "$HOME"',
    'echo @@machine; uname -m',
    'echo @@kernel; uname -r',
    "echo @@model; [ -r /proc/device-tree/model ] && tr -d '\\000' < /proc/device-tree/model && echo",
    'echo @@dmi; cat /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name 2>/dev/null',
    'echo @@lscpu; LC_ALL=C lscpu 2>/dev/null',
    'echo @@cores; LC_ALL=C lscpu -p=CORE,SOCKET 2>/dev/null',
    'echo @@cpuinfo; cat /proc/cpuinfo 2>/dev/null',
    'echo @@online; getconf _NPROCESSORS_ONLN 2>/dev/null',
    'echo @@meminfo; grep MemTotal /proc/meminfo 2>/dev/null',
    'echo @@os; cat /etc/os-release 2>/dev/null',
    'echo @@l4t; head -n 1 /etc/nv_tegra_release 2>/dev/null',
    'echo @@governor; cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null',
    'echo @@glibc; getconf GNU_LIBC_VERSION 2>/dev/null',
    'echo @@tools; for tool in sha256sum taskset tar; do command -v "$tool" >/dev/null 2>&1 && echo "$tool"; done',
    `echo @@node; version=$(NODE_OPTIONS= ${shellWord(node)} --version 2>&1); echo "$?"; echo "$version"`,
    `echo ${SECTION_END}`,
  ].join('\n');
}

/** Reads the probe's output; undefined when it is not the probe's (the login shell did not run it). */
export function parseProbe(stdout: string, endpoint: string): Board | undefined {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^@@([a-z0-9]+)$/.exec(line);
    if (header) sections.set(header[1]!, (current = []));
    else current?.push(line);
  }
  if (!sections.has(SECTION_END.slice(2))) return undefined;
  const text = (name: string) => (sections.get(name) ?? []).join('\n').trim();
  const lines = (name: string) => (sections.get(name) ?? []).map((l) => l.trim()).filter(Boolean);
  const field = (name: string, key: string) => lines(name).flatMap((l) => (l.startsWith(`${key}:`) ? [l.slice(key.length + 1).trim()] : []));

  const machine = text('machine');
  const [nodeStatus, ...nodeOutput] = lines('node');
  const notes: string[] = [];

  const logicalCores = Number(text('online')) || undefined;
  const corePairs = lines('cores').filter((l) => !l.startsWith('#'));
  let physicalCores: number | undefined = corePairs.length ? new Set(corePairs).size : undefined;
  if (physicalCores === undefined && logicalCores !== undefined) {
    physicalCores = logicalCores;
    notes.push('physical cores taken as the online cores (no lscpu on the board)');
  }
  const memTotalKb = /^MemTotal:\s+(\d+) kB/.exec(text('meminfo'))?.[1];

  const facts: DeviceFacts = {
    cpuModel: cpuModelOf(field('lscpu', 'Model name'), field('lscpu', 'Vendor ID')[0], lines('cpuinfo')),
    ...(logicalCores !== undefined ? { logicalCores } : {}),
    ...(physicalCores !== undefined ? { physicalCores } : {}),
    ...(memTotalKb ? { memoryBytes: Number(memTotalKb) * 1024 } : {}),
    os: osOf(text('os'), text('l4t')),
    kernel: text('kernel') || 'unknown (uname -r printed nothing)',
    arch: ARCHES[machine] ?? machine,
    boardModel:
      text('model') ||
      text('dmi').split('\n').join(' ').trim() ||
      'unavailable: the board has neither /proc/device-tree/model nor /sys/class/dmi/id/product_name',
    cpuGovernor: text('governor') || 'unavailable: the board has no /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor (no cpufreq driver for its CPU)',
    source: [
      `read over SSH from ${endpoint}: uname, lscpu, /proc/cpuinfo, /proc/meminfo, /etc/os-release, /proc/device-tree/model or DMI, cpufreq`,
      ...notes,
    ].join('; '),
  };
  return {
    home: text('home'),
    machine,
    arch: ARCHES[machine],
    node: { status: Number(nodeStatus ?? 127), output: nodeOutput.join('\n') },
    glibc: /^glibc (\d+\.\d+)/.exec(text('glibc'))?.[1],
    tools: new Set(lines('tools')),
    facts,
  };
}

/** lscpu's model names (several on a big.LITTLE CPU), else /proc/cpuinfo's. */
function cpuModelOf(modelNames: string[], vendor: string | undefined, cpuinfo: string[]): string {
  const names = [...new Set(modelNames.filter((name) => name !== '-'))];
  if (names.length) {
    // lscpu names ARM cores without their designer ("Cortex-A72"); x86 model names carry it already.
    const prefix = vendor && !/^(GenuineIntel|AuthenticAMD)$/.test(vendor) && !names.some((n) => n.startsWith(vendor)) ? `${vendor} ` : '';
    return names.map((name) => `${prefix}${name}`).join(' + ');
  }
  for (const key of ['model name', 'Hardware', 'Processor', 'cpu model']) {
    const line = cpuinfo.find((l) => l.toLowerCase().startsWith(key.toLowerCase()) && l.includes(':'));
    if (line) return line.slice(line.indexOf(':') + 1).trim();
  }
  return 'unknown (no lscpu on the board, no model name in /proc/cpuinfo)';
}

function osOf(osRelease: string, l4t: string): string {
  const value = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1];
  const os = value('PRETTY_NAME') ?? [value('NAME'), value('VERSION')].filter(Boolean).join(' ');
  // /etc/nv_tegra_release: "# R35 (release), REVISION: 4.1, GCID: ..." on NVIDIA Jetson boards.
  const tegra = /^# R(\d+) \(release\), REVISION: ([\d.]+)/.exec(l4t);
  return [os || 'Linux (no /etc/os-release on the board)', tegra ? `(L4T R${tegra[1]}.${tegra[2]})` : ''].filter(Boolean).join(' ');
}

const olderThan = (version: string, [major, minor]: readonly [number, number]) => {
  const [m, n] = version.split('.').map(Number);
  return m! < major || (m === major && n! < minor);
};

/**
 * Why the board cannot run GGUF cells (llama.cpp through node-llama-cpp's
 * prebuilt binary), on top of what boardProblem checks for every cell;
 * undefined when it can. Its ONNX cells still run.
 */
export function llamaCppProblem(board: Board, spec: SshSpec, endpoint: string): string | undefined {
  const device = `device ${spec.id} (${endpoint})`;
  const node = board.node.output.trim();
  const major = Number(/^v(\d+)\.\d+\.\d+/.exec(node)?.[1] ?? 0);
  if (major < MIN_LLAMA_CPP_NODE_MAJOR)
    return `${device}: Node.js ${node} on the board is too old for llama.cpp: node-llama-cpp needs Node.js ${MIN_LLAMA_CPP_NODE_MAJOR} or newer (ONNX cells still run on ${node}); upgrade Node.js on the board (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to a Node.js ${MIN_LLAMA_CPP_NODE_MAJOR} or newer there`;
  if (board.glibc && olderThan(board.glibc, MIN_LLAMA_CPP_GLIBC))
    return `${device}: glibc ${board.glibc} on the board is older than the ${MIN_LLAMA_CPP_GLIBC.join('.')} that node-llama-cpp's prebuilt llama.cpp binaries need (ONNX cells still run): upgrade the board's OS (Ubuntu 22.04, Debian 12 / Raspberry Pi OS bookworm or newer)`;
  return undefined;
}

/** Why the board cannot run cells, in words naming the device and the fix; undefined when it can. */
export function boardProblem(board: Board, spec: SshSpec, endpoint: string): string | undefined {
  const device = `device ${spec.id} (${endpoint})`;
  if (!board.arch) {
    const bits = /^(armv[5-7]|i[3-6]86)/.test(board.machine) ? ' (a 32-bit system)' : '';
    return `${device} runs ${board.machine}${bits}: onnxruntime-node ships Linux binaries for x86_64 and aarch64 only; install a 64-bit OS on the board (e.g. Raspberry Pi OS 64-bit)`;
  }
  if (board.glibc && olderThan(board.glibc, MIN_GLIBC)) {
    return `${device}: glibc ${board.glibc} on the board is older than the ${MIN_GLIBC.join('.')} that onnxruntime-node's Linux binaries need (Ubuntu 18.04 and JetPack 4 have 2.27): upgrade the board's OS (Ubuntu 20.04 / JetPack 5, Debian 10 or newer)`;
  }
  const { status, output } = board.node;
  const version = /^v(\d+)\.\d+\.\d+/.exec(output.trim());
  if (status === 127 || /not found|No such file/.test(output)) {
    return `${device}: no Node.js on the board ("${spec.node}" not found for this login): install Node.js ${MIN_NODE_MAJOR} or newer there (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to its absolute path (SSH commands do not read the PATH that nvm sets in ~/.bashrc)`;
  }
  if (status !== 0 || !version)
    return `${device}: "${spec.node} --version" failed on the board (${output.trim().split('\n').at(-1) || `exit status ${status}`}): set node: in devices.yaml to a working Node.js ${MIN_NODE_MAJOR} or newer`;
  if (Number(version[1]) < MIN_NODE_MAJOR)
    return `${device}: Node.js ${output.trim()} on the board is too old: the runner needs Node.js ${MIN_NODE_MAJOR} or newer; upgrade it (docs/devices/ssh.md, "Preparing an SSH board"), or set node: in devices.yaml to a newer one`;
  if (!board.tools.has('sha256sum'))
    return `${device}: sha256sum is not installed on the board (edgebench verifies every cached file with it): install coreutils there`;
  if (spec.cpus) {
    if (!board.tools.has('taskset'))
      return `${device}: cpus is set but taskset is not installed on the board: install util-linux there, or remove cpus from devices.yaml`;
    const cores = board.facts.logicalCores;
    const missing = cores !== undefined ? spec.cpus.filter((cpu) => cpu >= cores) : [];
    if (missing.length)
      return `${device}: cpus names core ${missing.join(', ')}, but the board has ${cores} online (0-${cores! - 1}): fix cpus in devices.yaml`;
  }
  return undefined;
}
