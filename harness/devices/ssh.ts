import type { RunnerJob } from '../core/runner-protocol.ts';
import { spawnRunner, unavailableOutcome, type RunnerCommand, type RunnerOutcome } from '../runner/spawn.ts';
import { NODE_LLAMA_CPP_DIR_ENV } from '../runtimes/llama-cpp-binding.ts';
import { boardProblem, llamaCppProblem, parseProbe, probeScript, type Board } from './ssh/board.ts';
import { DeviceProblem, SshConnection, type SshSpec } from './ssh/connection.ts';
import { llamaCppFiles } from './ssh/llama-cpp-files.ts';
import { manifestOf, pushFiles, runtimeFiles, variantFiles, type CachedFile, type PushReport } from './ssh/push.ts';
import { resolveHome, shellWord } from './ssh/quote.ts';
import type { CellContext, DeviceDriver } from './driver.ts';
import { sshPlacement } from './ssh/placement.ts';

/** Exit status of the run command when the board's cached files fail their sha256 check; they are pushed again. */
const VERIFY_FAILED_STATUS = 86;
const VERIFY_FAILED = 'edgebench: cached files failed sha256 verification on the board';

/** Linux signal numbers, to read "killed by a signal" from the board shell's exit status (128 + n). */
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/** One device's connection, what its board said, and which file sets were pushed and verified in this process. */
interface Session {
  connection: SshConnection;
  board?: Promise<Board>;
  pushed: Set<string>;
}

const sessions = new Map<string, Session>();

function sessionOf(spec: SshSpec): Session {
  const key = JSON.stringify(spec);
  let session = sessions.get(key);
  if (!session) sessions.set(key, (session = { connection: new SshConnection(spec), pushed: new Set() }));
  return session;
}

/**
 * The device's connection, shared with its cells: the probes read the board's
 * sensors through it during a cell, so sampling rides the cell's master
 * connection (no handshake per sample), and release() closes both.
 */
export function boardConnection(spec: SshSpec): SshConnection {
  return sessionOf(spec).connection;
}

/** The board, probed once per run in one command (a failed probe is tried again next time). */
function boardOf(spec: SshSpec): Promise<Board> {
  const session = sessionOf(spec);
  session.board ??= (async () => {
    const { connection } = session;
    const endpoint = await connection.endpoint();
    const result = await connection.exec(probeScript(spec.node), { timeoutMs: (spec.connectTimeoutSeconds + 30) * 1000 });
    const board = result.exitCode === 0 ? parseProbe(result.stdout, endpoint) : undefined;
    if (board) return board;
    if (result.timedOut)
      throw new DeviceProblem(`device ${spec.id} (${endpoint}): the board connected but did not answer within ${spec.connectTimeoutSeconds + 30} s`);
    if (result.exitCode === 255)
      throw new DeviceProblem(
        (await connection.problemOf(result.stderr)) ?? `device ${spec.id} (${endpoint}): ssh failed (${result.stderr.trim() || 'no message'})`,
      );
    throw new DeviceProblem(
      `device ${spec.id} (${endpoint}): the board's login shell did not run edgebench's probe (${result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`}): the login needs a POSIX shell (sh, bash, dash, zsh)`,
    );
  })().catch((error: unknown) => {
    session.board = undefined;
    throw error;
  });
  return session.board;
}

/** The board, once it is known to be able to run cells. */
async function readyBoard(spec: SshSpec): Promise<Board> {
  const board = await boardOf(spec);
  const problem = boardProblem(board, spec, await sessionOf(spec).connection.endpoint());
  if (problem) throw new DeviceProblem(problem);
  return board;
}

/** Everything one cell needs on the board, and the job as the board sees it (the model at its cached path). */
interface CellFiles {
  root: string;
  files: CachedFile[];
  /** What the run command checks before the runner starts: these files, then each check-file's list (relative to root). */
  verify: { files: CachedFile[]; checkFiles: string[] };
  runner: string;
  job: RunnerJob;
  /** Environment the runner starts with: where node-llama-cpp was pushed, for a GGUF cell. */
  env: Record<string, string>;
  /** The board has tar: small files are pushed several to a command. */
  tar: boolean;
}

async function cellFiles(spec: SshSpec, board: Board, job: RunnerJob): Promise<CellFiles> {
  const root = resolveHome(spec.remoteDir, board.home);
  const runtime = await runtimeFiles(board.arch!);
  const llama = job.runtime.name === 'llama.cpp' ? await llamaCppFilesFor(spec, board) : undefined;
  let variant;
  try {
    variant = await variantFiles(job.modelPath);
  } catch (error) {
    throw new DeviceProblem(`device ${spec.id}: the variant's files could not be read to push them (${(error as Error).message})`);
  }
  return {
    root,
    files: [...runtime.files, ...(llama?.files ?? []), ...variant.files],
    verify: llama
      ? { files: [...runtime.files, llama.manifest, ...variant.files], checkFiles: [llama.manifest.remote] }
      : { files: [...runtime.files, ...variant.files], checkFiles: [] },
    runner: runtime.runner,
    job: { ...job, modelPath: `${root}/${variant.model}` },
    env: llama ? { [NODE_LLAMA_CPP_DIR_ENV]: `${root}/${llama.packageDir}` } : {},
    tar: board.tools.has('tar'),
  };
}

/** node-llama-cpp for the board, or why this board cannot run a GGUF cell (its ONNX cells still can). */
async function llamaCppFilesFor(spec: SshSpec, board: Board) {
  const endpoint = await sessionOf(spec).connection.endpoint();
  const problem = llamaCppProblem(board, spec, endpoint);
  if (problem) throw new DeviceProblem(problem);
  try {
    return await llamaCppFiles(board.arch!);
  } catch (error) {
    if (error instanceof DeviceProblem) throw new DeviceProblem(`device ${spec.id} (${endpoint}) runs ${board.machine}: ${error.message}`);
    throw error;
  }
}

/**
 * Pushes what the board's cache lacks for `job` (runner, onnxruntime-node for
 * the board's architecture, node-llama-cpp for a GGUF cell, the variant) and reports what was sent. runCell
 * does this itself; it is exported for measuring pushes.
 */
export async function pushForJob(spec: SshSpec, job: RunnerJob, signal?: AbortSignal): Promise<PushReport> {
  return push(sessionOf(spec), await cellFiles(spec, await readyBoard(spec), job), signal);
}

async function push(session: Session, cell: CellFiles, signal?: AbortSignal): Promise<PushReport> {
  const report = await pushFiles(session.connection, cell.root, cell.files, signal, { tar: cell.tar });
  session.pushed.add(manifestOf(cell.files));
  return report;
}

/**
 * The command run on the board for one cell, every value quoted: the cached
 * files are checked against their sha256 first, then the runner starts (pinned
 * to `cpus` with taskset when set). The shell outlives the runner, so a runner
 * killed by a signal shows as its exit status 128 + n (ssh says only 255 for a
 * command killed by a signal).
 */
function runScript(spec: SshSpec, cell: CellFiles): string {
  const pin = spec.cpus ? `taskset --cpu-list ${shellWord(spec.cpus.join(','))} ` : '';
  return [
    `cd ${shellWord(cell.root)} 2>/dev/null || { echo ${shellWord(VERIFY_FAILED)} >&2; exit ${VERIFY_FAILED_STATUS}; }`,
    `printf '%s' ${shellWord(manifestOf(cell.verify.files))} | sha256sum -c - >/dev/null 2>&1 || { echo ${shellWord(VERIFY_FAILED)} >&2; exit ${VERIFY_FAILED_STATUS}; }`,
    ...cell.verify.checkFiles.map(
      (file) => `sha256sum -c ${shellWord(file)} >/dev/null 2>&1 || { echo ${shellWord(VERIFY_FAILED)} >&2; exit ${VERIFY_FAILED_STATUS}; }`,
    ),
    'unset NODE_OPTIONS',
    ...Object.entries(cell.env).map(([name, value]) => `export ${name}=${shellWord(value)}`),
    // Not the last command, so that no shell replaces itself with it (bash does for a last command).
    `${pin}${shellWord(spec.node)} ${shellWord(cell.runner)}`,
    'exit $?',
  ].join('\n');
}

const verificationFailed = (outcome: RunnerOutcome) =>
  outcome.exitCode === VERIFY_FAILED_STATUS && outcome.events.length === 0 && outcome.stderrTail.includes(VERIFY_FAILED);

function constraintsOf(spec: SshSpec): string | undefined {
  return spec.cpus
    ? `runner pinned to core${spec.cpus.length > 1 ? 's' : ''} ${spec.cpus.join(',')} of the board with taskset (no CPU quota or memory cap)`
    : undefined;
}

/**
 * A Linux board over SSH: the runner bundle, onnxruntime-node's binaries for
 * the board's architecture (and node-llama-cpp's, for GGUF cells) and the
 * variant are pushed once to a cache on the
 * board (by sha256), verified there before every runner start, and the same
 * runner as the local driver's runs there, streaming its JSON lines back
 * through ssh. Latency and memory are the board's own, measured by the runner
 * on the board.
 */
export const sshDriver: DeviceDriver<SshSpec> = {
  kind: 'ssh',
  placement: sshPlacement,
  takesTurns: true,
  pairsRounds: true,
  latency: 'measured',

  async facts(spec) {
    const board = await boardOf(spec);
    const constraints = constraintsOf(spec);
    return { ...board.facts, ...(constraints ? { constraints } : {}) };
  },

  async unavailable(spec) {
    try {
      await readyBoard(spec);
      return undefined;
    } catch (error) {
      if (error instanceof DeviceProblem) return error.message;
      throw error;
    }
  },

  async runCell(spec, job, context) {
    const session = sessionOf(spec);
    const stopped = (message: string): RunnerOutcome => ({ ...unavailableOutcome(message), canceled: context.signal?.aborted === true });
    try {
      const cell = await cellFiles(spec, await readyBoard(spec), job);
      // The first cell of a file set in this run pushes what is missing; later ones rely on the check in the run command.
      if (!session.pushed.has(manifestOf(cell.files))) await push(session, cell, context.signal);
      const command = await session.connection.commandFor(runScript(spec, cell));
      let outcome = await runOnBoard(spec, session, command, cell.job, context);
      if (verificationFailed(outcome)) {
        // A cached file changed or went away on the board since it was pushed: it is pushed again, once.
        await push(session, cell, context.signal);
        outcome = await runOnBoard(spec, session, command, cell.job, context);
        if (verificationFailed(outcome))
          return stopped(
            `device ${spec.id}: files pushed to ${cell.root} fail their sha256 check on the board right after the push: check the board's disk (dmesg) and that nothing else writes under remoteDir`,
          );
      }
      return await finish(spec, session, outcome);
    } catch (error) {
      if (error instanceof DeviceProblem) return stopped(error.message);
      throw error;
    }
  },

  async release(spec) {
    const session = sessions.get(JSON.stringify(spec));
    if (!session) return;
    sessions.delete(JSON.stringify(spec));
    await session.connection.close();
  },
};

/** How long a stopped cell waits for its ssh session to end before the master connection is closed under it. */
const STOP_GRACE_MS = 5000;

/**
 * Runs the runner command under the cell's timeout and Ctrl-C. Stopping the
 * local ssh does not stop the runner: a command without a terminal outlives
 * its session, and the master connection keeps this end of the runner's pipes
 * open while it runs. So a stopped cell also stops its runner on the board by
 * the pid the runner reported, and if the session still does not end (no pid
 * yet, a board that stopped answering), closes the master connection.
 */
async function runOnBoard(spec: SshSpec, session: Session, command: RunnerCommand, job: RunnerJob, context: CellContext): Promise<RunnerOutcome> {
  const stop = new AbortController();
  let timedOut = false;
  let pid: number | undefined;
  let ended!: () => void;
  const sessionEnded = new Promise<void>((resolve) => (ended = resolve));
  let stopping: Promise<void> | undefined;
  const stopRunner = () => {
    if (stop.signal.aborted) return;
    stop.abort();
    stopping = (async () => {
      if (pid !== undefined && pid > 1) {
        // SIGTERM, and SIGKILL if the runner is still there a second later.
        const script = `kill -TERM ${pid} 2>/dev/null || exit 0; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; kill -0 ${pid} 2>/dev/null || exit 0; done; kill -KILL ${pid} 2>/dev/null; exit 0`;
        await session.connection.exec(script, { timeoutMs: (spec.connectTimeoutSeconds + 5) * 1000 }).catch(() => undefined);
      }
      const grace = new Promise<'grace over'>((resolve) => setTimeout(() => resolve('grace over'), STOP_GRACE_MS).unref());
      if ((await Promise.race([sessionEnded, grace])) === 'grace over') await session.connection.close();
    })();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopRunner();
  }, context.timeoutMs);
  context.signal?.addEventListener('abort', stopRunner, { once: true });
  if (context.signal?.aborted) stopRunner();
  try {
    const outcome = await spawnRunner(command, job, {
      // The cell's own timer stops it; this is only a backstop.
      timeoutMs: context.timeoutMs + 2 * STOP_GRACE_MS,
      signal: stop.signal,
      ...(context.turns ? { turns: context.turns } : {}),
      onEvent: (event) => {
        if (event.type === 'hello') pid = event.pid;
        context.onEvent?.(event);
      },
    });
    return { ...outcome, timedOut: timedOut || outcome.timedOut, canceled: !timedOut && outcome.canceled };
  } finally {
    ended();
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', stopRunner);
    await stopping;
  }
}

/** Reads how the cell ended on the board: a lost connection, a runner killed there. */
async function finish(spec: SshSpec, session: Session, outcome: RunnerOutcome): Promise<RunnerOutcome> {
  const constraints = constraintsOf(spec);
  const withConstraints = constraints ? { ...outcome, constraints } : outcome;
  const done = outcome.events.some((e) => e.type === 'done');
  if (done || outcome.timedOut || outcome.canceled) return withConstraints;
  if (outcome.exitCode === 255) return { ...withConstraints, deviceFailure: await lostConnection(spec, session, outcome) };
  const signal = outcome.exitCode !== undefined ? SIGNALS[outcome.exitCode - 128] : undefined;
  return signal ? { ...withConstraints, signal, exitCode: undefined } : withConstraints;
}

/** ssh ended with 255: its connection failed. Before the runner said hello the board was unreachable; after, it was lost mid-cell. */
async function lostConnection(spec: SshSpec, session: Session, outcome: RunnerOutcome): Promise<{ code: string; message: string }> {
  const { connection } = session;
  const endpoint = await connection.endpoint();
  const problem = await connection.problemOf(outcome.stderrTail);
  if (outcome.events.length === 0 && problem && !/connection was closed/.test(problem)) return { code: 'DEVICE_UNAVAILABLE', message: problem };
  const samples = outcome.events.reduce((n, e) => n + (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs.length : 0), 0);
  const said = outcome.stderrTail.trim().split('\n').at(-1) || 'ssh exited with status 255 and no message';
  const probe = await connection.exec('true', { timeoutMs: (spec.connectTimeoutSeconds + 5) * 1000 });
  const device = `device ${spec.id} (${endpoint})`;
  const now =
    probe.exitCode === 0
      ? 'The board answers again: run the suite again for the cells that are missing.'
      : `Now ${((await connection.problemOf(probe.stderr)) ?? 'the board does not answer').replace(`${device}: `, '')}.`;
  return {
    code: 'DEVICE_LOST',
    message: `${device}: the SSH connection was lost during the cell (${said}); the ${samples} timed sample${samples === 1 ? '' : 's'} received before are kept. ${now}`,
  };
}
