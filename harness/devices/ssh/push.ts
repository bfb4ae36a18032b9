import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, posix, relative } from 'node:path';
import { inspectModel } from '../../onnx/model-file.ts';
import { sha256FileOnce, sha256Text } from '../../files/hash.ts';
import { runnerBundle } from '../../runner/bundle.ts';
import { DeviceProblem, type SshConnection, type SshResult } from './connection.ts';
import { shellWord } from './quote.ts';
import { tarArchive } from './tar-archive.ts';

/** One file of the board's cache: where it is here, where it goes under remoteDir, and what it must hash to. */
export interface CachedFile {
  local: string;
  /** Relative to remoteDir, '/'-separated. */
  remote: string;
  sha256: string;
  bytes: number;
}

/** What a push did: every file needed, and those that had to be sent (missing or failing their sha256 on the board). */
export interface PushReport {
  files: number;
  bytes: number;
  pushed: { remote: string; bytes: number }[];
  pushedBytes: number;
  ms: number;
}

const require = createRequire(import.meta.url);
const ORT_NODE_DIR = dirname(require.resolve('onnxruntime-node/package.json'));
// onnxruntime-common's exports hide its package.json: its CommonJS entry (dist/cjs/index.js) is three levels down.
const ORT_COMMON_DIR = join(dirname(createRequire(join(ORT_NODE_DIR, 'package.json')).resolve('onnxruntime-common')), '..', '..');

/** A local file with its sha256 (computed once per file identity, shared with the plan's). */
export async function cachedFile(local: string, remote: string): Promise<CachedFile> {
  const { size } = await stat(local);
  return { local, remote, sha256: await sha256FileOnce(local), bytes: size };
}

/** Files under dir, relative to it and sorted, that keep() accepts. */
export async function filesUnder(dir: string, keep: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter(keep)
    .sort();
}

const runtimes = new Map<string, Promise<{ dir: string; files: CachedFile[] }>>();

/**
 * What the runner needs on a board of this architecture, laid out as a
 * node_modules folder beside the runner bundle (ES module imports resolve only
 * through node_modules folders, not NODE_PATH): onnxruntime-node's JavaScript
 * and its linux/<arch> binaries, and onnxruntime-common's CommonJS build.
 * The folder is named by the hash of those files; bundles of other edgebench
 * versions sit beside each other in it, each named by its own hash.
 */
export async function runtimeFiles(arch: 'x64' | 'arm64'): Promise<{ runner: string; files: CachedFile[] }> {
  if (!runtimes.has(arch)) {
    runtimes.set(
      arch,
      (async () => {
        const napi = (await readdir(join(ORT_NODE_DIR, 'bin'))).filter((name) => /^napi-v\d+$/.test(name));
        const binaries = napi.map((name) => `bin/${name}/linux/${arch}/`);
        const ortNode = await filesUnder(ORT_NODE_DIR, (p) => p === 'package.json' || /^dist\/[^/]+\.js$/.test(p) || binaries.some((b) => p.startsWith(b)));
        if (!ortNode.some((p) => p.endsWith('.node')))
          throw new DeviceProblem(`onnxruntime-node in ${ORT_NODE_DIR} has no linux/${arch} binary: reinstall it (npm ci)`);
        const ortCommon = await filesUnder(ORT_COMMON_DIR, (p) => p === 'package.json' || (p.startsWith('dist/cjs/') && /\.(js|json)$/.test(p)));
        const files = await Promise.all([
          ...ortNode.map((p) => cachedFile(join(ORT_NODE_DIR, p), `node_modules/onnxruntime-node/${p}`)),
          ...ortCommon.map((p) => cachedFile(join(ORT_COMMON_DIR, p), `node_modules/onnxruntime-common/${p}`)),
        ]);
        const version = (require(join(ORT_NODE_DIR, 'package.json')) as { version: string }).version;
        const dir = `runtimes/onnxruntime-node-${version}-linux-${arch}-${sha256Text(manifestOf(files)).slice(0, 16)}`;
        return { dir, files: files.map((f) => ({ ...f, remote: `${dir}/${f.remote}` })) };
      })(),
    );
  }
  const runtime = await runtimes.get(arch)!;
  const bundle = await runnerBundle();
  const runner = await cachedFile(bundle, '');
  runner.remote = `${runtime.dir}/runner-${runner.sha256.slice(0, 16)}.mjs`;
  return { runner: runner.remote, files: [...runtime.files, runner] };
}

/**
 * The variant's files (the .onnx file and the external data it names, which
 * onnxruntime looks for beside it) in a folder named by their hashes. A model
 * that cannot be inspected is pushed alone: the runner's load then fails with
 * MODEL_LOAD_FAILED, as on every device.
 */
export async function variantFiles(modelPath: string): Promise<{ model: string; files: CachedFile[] }> {
  // Inspecting reads the whole model: once per file version, not once per cell.
  const { size, mtimeMs } = await stat(modelPath);
  const key = `${modelPath}\0${size}\0${mtimeMs}`;
  if (!variants.has(key)) variants.set(key, readVariant(modelPath));
  return variants.get(key)!;
}

const variants = new Map<string, Promise<{ model: string; files: CachedFile[] }>>();

async function readVariant(modelPath: string): Promise<{ model: string; files: CachedFile[] }> {
  const folder = dirname(modelPath);
  const external = await inspectModel(modelPath).then(
    (model) => model.externalData.map((e) => e.location),
    () => [],
  );
  const paths = [basename(modelPath), ...external];
  const files = await Promise.all(paths.map((p) => cachedFile(join(folder, p), p.split(/[\\/]/).join('/'))));
  const dir = `variants/${sha256Text(manifestOf(files)).slice(0, 16)}`;
  return { model: `${dir}/${basename(modelPath)}`, files: files.map((f) => ({ ...f, remote: `${dir}/${f.remote}` })) };
}

/** sha256sum's check-file format: "<sha256>  <path>" per line. */
export function manifestOf(files: readonly CachedFile[]): string {
  return files.map((f) => `${f.sha256}  ${f.remote}\n`).join('');
}

/** Files up to this size travel in tar batches of up to BATCH_BYTES: for node-llama-cpp's ~1300 small files, one command each costs more than their bytes. */
const BATCH_FILE_BYTES = 1 << 20;
const BATCH_BYTES = 8 << 20;

/** Small files grouped into batches; every other file alone. */
function transfers(files: readonly CachedFile[], tar: boolean): CachedFile[][] {
  const alone = files.filter((f) => !tar || f.bytes > BATCH_FILE_BYTES).map((f) => [f]);
  const batches: CachedFile[][] = [];
  let bytes = 0;
  for (const file of files.filter((f) => tar && f.bytes <= BATCH_FILE_BYTES)) {
    if (!batches.length || bytes + file.bytes > BATCH_BYTES) {
      batches.push([]);
      bytes = 0;
    }
    batches.at(-1)!.push(file);
    bytes += file.bytes;
  }
  return [...alone, ...batches];
}

/**
 * Makes the board's cache under `root` hold every file with its sha256: one
 * command checks them all with sha256sum on the board, then only the missing
 * or corrupt ones are sent (each to a temporary name, renamed once complete;
 * with `tar`, when the board has it, small files several to a tar stream,
 * which the check before every runner start verifies like the rest).
 */
export async function pushFiles(
  connection: SshConnection,
  root: string,
  files: readonly CachedFile[],
  signal?: AbortSignal,
  options: { tar?: boolean } = {},
): Promise<PushReport> {
  const started = performance.now();
  const check = await connection.exec(`cd ${shellWord(root)} 2>/dev/null && sha256sum -c - 2>/dev/null; exit 0`, { input: manifestOf(files), signal });
  if (check.exitCode !== 0)
    throw new DeviceProblem(
      (await connection.problemOf(check.stderr)) ??
        `device ${connection.spec.id}: checking the cache on the board failed (${check.stderr.trim() || `exit status ${check.exitCode}`})`,
    );
  const verified = new Set(check.stdout.split('\n').flatMap((line) => (line.endsWith(': OK') ? [line.slice(0, -4)] : [])));
  const missing = files.filter((f) => !verified.has(f.remote));
  await makeDirectories(connection, root, missing, signal);
  // A few transfers at a time over the one connection, enough to hide per-command latency on a slow link.
  // After a failure no new one starts, and the push ends only once those already under way have.
  const queue = transfers(missing, options.tar === true);
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      await (batch.length === 1 ? pushFile(connection, root, batch[0]!, signal) : pushBatch(connection, root, batch, signal)).catch((error: unknown) => {
        queue.length = 0;
        throw error;
      });
    }
  };
  const failed = (await Promise.allSettled(Array.from({ length: Math.min(4, queue.length) }, worker))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    pushed: missing.map((f) => ({ remote: f.remote, bytes: f.bytes })),
    pushedBytes: missing.reduce((sum, f) => sum + f.bytes, 0),
    ms: performance.now() - started,
  };
}

/** Longest mkdir command sent at once: far below any shell's or sshd's limit on a command line. */
const MKDIR_COMMAND_BYTES = 64 << 10;

/**
 * Creates every folder the missing files go to, before any transfer starts.
 * Transfers run side by side, and GNU tar fails a file ("Cannot open: No such
 * file or directory") when its folder appears between tar's failed open and
 * tar's own mkdir, as it does when another transfer creates it.
 */
async function makeDirectories(connection: SshConnection, root: string, files: readonly CachedFile[], signal?: AbortSignal): Promise<void> {
  const folders = [...new Set(files.map((f) => posix.dirname(posix.join(root, f.remote))))].sort();
  // mkdir -p makes a folder's parents: only the deepest folders need naming.
  const deepest = folders.filter((folder, i) => !folders[i + 1]?.startsWith(`${folder}/`));
  const commands: string[][] = [];
  let bytes = 0;
  for (const word of deepest.map(shellWord)) {
    if (!commands.length || bytes + word.length > MKDIR_COMMAND_BYTES) {
      commands.push([]);
      bytes = 0;
    }
    commands.at(-1)!.push(word);
    bytes += word.length + 1;
  }
  for (const words of commands) {
    const result = await connection.exec(`mkdir -p -- ${words.join(' ')}`, { signal });
    if (result.exitCode !== 0 && !result.canceled) await failure(connection, root, `the folders for ${files.length} files`, result);
  }
}

async function pushBatch(connection: SshConnection, root: string, files: readonly CachedFile[], signal?: AbortSignal): Promise<void> {
  const archive = tarArchive(await Promise.all(files.map(async (f) => ({ path: f.remote, data: await readFile(f.local) }))));
  const result = await connection.exec(`tar -x -f - -C ${shellWord(root)}`, { input: archive, signal });
  if (result.exitCode === 0 || result.canceled) return;
  const what = `${files.length} files (${files.reduce((sum, f) => sum + f.bytes, 0)} bytes, ${files[0]!.remote} first)`;
  await failure(connection, root, what, result);
}

async function pushFile(connection: SshConnection, root: string, file: CachedFile, signal?: AbortSignal): Promise<void> {
  const target = posix.join(root, file.remote);
  const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
  const [temp, dest] = [partial, target].map(shellWord);
  const result = await connection.exec(`cat > ${temp} && mv -f ${temp} ${dest} || { status=$?; rm -f ${temp}; exit $status; }`, {
    inputFile: file.local,
    signal,
  });
  if (result.exitCode === 0 || result.canceled) return;
  await failure(connection, root, `${target} (${file.bytes} bytes)`, result);
}

/** Why a transfer to the board failed, as a DeviceProblem naming the fix. */
async function failure(connection: SshConnection, root: string, what: string, result: SshResult): Promise<never> {
  const { id } = connection.spec;
  // The first line says what went wrong; tar's last says only that something did.
  const lines = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/Exiting with failure status/.test(line));
  const said = lines[0] ?? '';
  if (/No space left on device|Disk quota exceeded/.test(result.stderr)) {
    throw new DeviceProblem(
      `device ${id}: the board's disk is full: ${what} could not be written (${said}). Free space on the board (everything under ${root} may go: it is pushed again when needed) or set remoteDir in devices.yaml to a larger disk`,
    );
  }
  if (result.exitCode === 255)
    throw new DeviceProblem(
      (await connection.problemOf(result.stderr)) ?? `device ${id}: the SSH connection failed while pushing ${what} (${said || 'no message'})`,
    );
  throw new DeviceProblem(
    `device ${id}: ${what} could not be written on the board (${said || `exit status ${result.exitCode}`}): check that remoteDir ${root} is writable by the SSH login`,
  );
}
