import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import { TIMED_DUMP_PREFIX } from '../runner/instruction-counter.ts';
import { spawnRunner, type RunnerCommand, type RunnerOutcome } from '../runner/spawn.ts';
import { readCallgrindDump } from './callgrind-dump.ts';
import { callgrindTools } from './callgrind-tools.ts';
import { outputDifferences } from './output-differences.ts';

/** What a device's cell gives the count: its timeout, Ctrl-C, and where events go (the journal). */
interface CellContext {
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
}

/** Timed iterations run under callgrind at most: counts are exact, so the median of 5 is the count. */
export const INSTRUCTION_ITERATIONS = 5;
/** How much slower than native a model runs under callgrind, at worst (fp32 MatMul; int8 is 60-100x): for the refusal below. */
export const CALLGRIND_SLOWDOWN = 750;

/**
 * Node.js flags that make the JavaScript around each inference the same in every process
 * (hash and random seeds, no V8 helper threads), so the count repeats to a few instructions.
 */
export const DETERMINISTIC_NODE_FLAGS = ['--hash-seed=1', '--random-seed=1', '--single-threaded'];

/**
 * After a cell's timed runner process, the same job again in a runner process of its own under
 * callgrind: instrumented from the warm-up on, collecting only inside InferenceSessionWrap::Run (onnxruntime-node's binding),
 * a dump after every timed iteration, and only the instructions inside libonnxruntime.so counted.
 * One intra-op thread, since callgrind collects on the thread that entered Run. The native process's
 * timings are untouched; its outcome gains one `instructions` event (journaled like the runner's own),
 * which says what was counted or why nothing was.
 */
export async function withInstructionCount(native: RunnerOutcome, command: RunnerCommand, job: RunnerJob, context: CellContext): Promise<RunnerOutcome> {
  if (!job.countInstructions || !native.events.some((e) => e.type === 'done')) return native;
  const event = await countedEvent(native, command, job, context);
  context.onEvent?.(event);
  return { ...native, events: [...native.events, event] };
}

type InstructionsEvent = Extract<RunnerEvent, { type: 'instructions' }>;

async function countedEvent(native: RunnerOutcome, command: RunnerCommand, job: RunnerJob, context: CellContext): Promise<InstructionsEvent> {
  const unavailable = (reason: string): InstructionsEvent => ({ type: 'instructions', unavailable: reason });
  // What callgrind collects is onnxruntime-node's Run, inside libonnxruntime.so: another runtime would count 0.
  const hello = native.events.find((e) => e.type === 'hello');
  const runtime = hello?.type === 'hello' ? hello.runtime.name : (job.runtime.name ?? 'onnxruntime-node');
  if (runtime !== 'onnxruntime-node')
    return unavailable(
      `not counted for ${runtime}: the count is of the instructions inside onnxruntime-node's InferenceSessionWrap::Run (libonnxruntime.so); time is measured as usual`,
    );
  const tools = await callgrindTools();
  if ('unavailable' in tools) return unavailable(tools.unavailable);
  const iterations = Math.min(job.iterations, INSTRUCTION_ITERATIONS);
  const estimateMs = estimatedCallgrindMs(native, 1 + iterations);
  if (estimateMs > context.timeoutMs)
    return unavailable(
      `refused: ${1 + iterations} inferences under callgrind would take about ${Math.round(estimateMs / 1000)} s (${CALLGRIND_SLOWDOWN}x the native latency), more than the cell timeout of ${context.timeoutMs / 1000} s; raise timeoutSeconds in the suite, or count a smaller model`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-callgrind-'));
  try {
    const counted: RunnerJob = {
      ...job,
      warmup: 1,
      iterations,
      runtime: { ...job.runtime, intraOpThreads: 1, interOpThreads: 1 },
      callgrindAddon: tools.addon,
    };
    const args = [
      '--tool=callgrind',
      '--quiet',
      // Uninstrumented until the runner's first inference (5x faster start), collecting only inside Run.
      '--instr-atstart=no',
      '--collect-atstart=no',
      '--toggle-collect=InferenceSessionWrap::Run*',
      `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
      command.file,
      ...DETERMINISTIC_NODE_FLAGS,
      ...command.args,
    ];
    const outcome = await spawnRunner({ file: tools.valgrind, args, ...(command.env ? { env: command.env } : {}) }, counted, {
      timeoutMs: context.timeoutMs,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    if (!outcome.events.some((e) => e.type === 'done')) return unavailable(`the runner under callgrind did not finish: ${why(outcome)}`);
    const perIteration = await timedCounts(dir, iterations);
    if (!perIteration) return unavailable('callgrind wrote no count for some timed iteration (the dumps after each inference are missing)');
    const tokens = tokensOf(outcome);
    const exampleIds = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.exampleIds : []));
    const warnings = outputDifferences(native.events, outcome.events);
    return {
      type: 'instructions',
      perIteration,
      ...(exampleIds.length === perIteration.length ? { exampleIds } : {}),
      ...(tokens ? { tokens } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The timed iterations' counts in order, from the dumps labelled with their index. */
async function timedCounts(dir: string, iterations: number): Promise<number[] | undefined> {
  const counts: (number | undefined)[] = Array.from({ length: iterations }, () => undefined);
  for (const file of await readdir(dir)) {
    const dump = readCallgrindDump(await readFile(join(dir, file), 'utf8'), (path) => basename(path).startsWith('libonnxruntime.so'));
    if (!dump.label?.startsWith(TIMED_DUMP_PREFIX)) continue;
    const index = Number(dump.label.slice(TIMED_DUMP_PREFIX.length));
    if (Number.isInteger(index) && index >= 0 && index < iterations) counts[index] = dump.instructions;
  }
  return counts.every((c) => c !== undefined) ? (counts as number[]) : undefined;
}

/** generate: session.run calls of each timed iteration, the prefill and every decode step. */
function tokensOf(outcome: RunnerOutcome): number[] | undefined {
  const timed = outcome.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? [e] : []));
  if (!timed.some((e) => e.decodeMs)) return undefined;
  return timed.flatMap((e) => e.latenciesMs.map((_, k) => 1 + (e.decodeMs?.[k]?.length ?? 0)));
}

/** The native run's median latency, times the slowdown, times the inferences to run. */
function estimatedCallgrindMs(native: RunnerOutcome, inferences: number): number {
  const latencies = native.events.flatMap((e) => (e.type === 'samples' && e.phase === 'timed' ? e.latenciesMs : [])).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)] ?? 0;
  return median * CALLGRIND_SLOWDOWN * inferences;
}

function why(outcome: RunnerOutcome): string {
  const error = outcome.events.find((e) => e.type === 'error');
  if (error?.type === 'error') return `${error.code}: ${error.message}`;
  if (outcome.timedOut) return 'it reached the cell timeout (raise timeoutSeconds in the suite)';
  return outcome.stderrTail.trim().split('\n').slice(-3).join(' | ') || `exit code ${outcome.exitCode}`;
}
