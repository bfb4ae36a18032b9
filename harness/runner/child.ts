/**
 * The runner: one process per (device, variant) cell, so the peak memory it
 * reports is the variant's own. Reads a RunnerJob from stdin, streams
 * RunnerEvents to stdout as JSON lines. Nothing else is written to stdout but,
 * when the job takes turns with another runner, the end of each turn.
 */
import { currentRss, peakRss } from './memory.ts';
import { loadInstructionCounter, TIMED_DUMP_PREFIX, WARMUP_DUMP, type InstructionCounter } from './instruction-counter.ts';
import type { RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import { TURN_DONE_LINE, TURN_GO } from './turn-taking.ts';
import type { RuntimeName } from '../core/runtime.ts';
import { llamaCpp } from '../runtimes/llama-cpp.ts';
import { onnxruntimeNode } from '../runtimes/onnxruntime-node.ts';
import { runtimes, type RuntimesOf } from '../runtimes/registry.ts';
import { runtimeFailure, type Runtime, type RuntimeSession } from '../runtimes/runtime.ts';
import { tensorFromSpec } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from '../tasks/clock.ts';
import { taskRunners } from '../tasks/registry.ts';
import type { PreparedExample, TaskRunner, TaskRunnerFactory } from '../tasks/task.ts';

/** The runtimes the Node.js runner holds: every runtime the registry places in it. */
const nodeRuntimes = { 'onnxruntime-node': onnxruntimeNode, 'llama.cpp': llamaCpp } satisfies Record<RuntimesOf<'node'>, Runtime>;
const DEFAULT_RUNTIME: RuntimesOf<'node'> = 'onnxruntime-node';

function emit(event: RunnerEvent): void {
  // stdout is a pipe: writes are synchronous on Linux, and happen outside the timed region.
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function fail(code: string, error: unknown): never {
  emit({ type: 'error', code, message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

/** stdin as lines: the job first, then (when taking turns) one TURN_GO per turn. undefined once stdin has ended. */
function stdinLines(): () => Promise<string | undefined> {
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  // The job can be megabytes: the pieces of an unfinished line are kept apart and joined once, not re-concatenated per chunk.
  let pieces: string[] = [];
  let ended = false;
  const push = (line: string) => (waiting.length ? waiting.shift()!(line) : lines.push(line));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    if (!chunk.includes('\n')) return void pieces.push(chunk);
    const parts = chunk.split('\n');
    push([...pieces, parts[0]!].join(''));
    for (const line of parts.slice(1, -1)) push(line);
    pieces = [parts.at(-1)!];
  });
  process.stdin.on('end', () => {
    const rest = pieces.join('');
    if (rest) push(rest);
    ended = true;
    for (const resolve of waiting.splice(0)) resolve(undefined);
  });
  return () => (lines.length ? Promise.resolve(lines.shift()) : ended ? Promise.resolve(undefined) : new Promise((resolve) => waiting.push(resolve)));
}

/** The runner's side of turn-taking: wait for the turn, say when it is over. Free once stdin has ended. */
interface Turns {
  mine(): Promise<void>;
  over(): void;
}

function stdinTurns(nextLine: () => Promise<string | undefined>): Turns {
  let free = false;
  return {
    async mine() {
      while (!free) {
        const line = await nextLine();
        if (line === undefined) free = true;
        else if (line === TURN_GO) return;
      }
    },
    over() {
      if (!free) process.stdout.write(`${TURN_DONE_LINE}\n`);
    },
  };
}

function runtimeNamed(name: RuntimeName): Runtime {
  if (name in nodeRuntimes) return nodeRuntimes[name as RuntimesOf<'node'>];
  fail(
    'RUNTIME_UNAVAILABLE',
    `runtime ${name} (${runtimes[name].description}) does not run in the Node.js runner: it runs on ${runtimes[name].hosts.join(', ')} devices`,
  );
}

const FLUSH_INTERVAL_MS = 500;

interface SampleBatch {
  firstIteration: number;
  exampleIds: string[];
  latenciesMs: number[];
  ttftMs: (number | null)[];
  decodeMs: number[][];
}

/**
 * Runs `count` iterations of the task, examples in turn. Latencies are buffered
 * and sent at most every 0.5 s: the parent still sees progress (and keeps what
 * was measured if the runner dies), without a write between two inferences.
 * Each example's output is recorded the first time the timed loop runs it.
 */
async function timedLoop(
  count: number,
  phase: 'warmup' | 'timed',
  examples: PreparedExample[],
  task: TaskRunner,
  counter: InstructionCounter | undefined,
  turns: Turns | undefined,
): Promise<number> {
  const emptyBatch = (firstIteration: number): SampleBatch => ({ firstIteration, exampleIds: [], latenciesMs: [], ttftMs: [], decodeMs: [] });
  let batch = emptyBatch(0);
  const flush = (next: number) => {
    if (batch.latenciesMs.length > 0) {
      const { ttftMs, decodeMs, ...rest } = batch;
      emit({ type: 'samples', phase, ...rest, ...(ttftMs.length ? { ttftMs, decodeMs } : {}) });
    }
    batch = emptyBatch(next);
  };
  let lastFlush = nowMs();
  // Taking turns, the phase's wall time is the sum of this runner's own turns: the other runner's are not its work.
  let ownMs = 0;
  for (let i = 0; i < count; i++) {
    const example = examples[i % examples.length]!;
    await turns?.mine();
    const turnStart = nowMs();
    const result = await task.iterate(example, phase === 'timed' && i < examples.length);
    ownMs += elapsedMs(turnStart);
    turns?.over();
    if (phase === 'timed') counter?.dump(`${TIMED_DUMP_PREFIX}${i}`);
    batch.exampleIds.push(example.id);
    batch.latenciesMs.push(result.latencyMs);
    if (result.ttftMs !== undefined || result.decodeMs !== undefined) {
      batch.ttftMs.push(result.ttftMs ?? null);
      batch.decodeMs.push(result.decodeMs ?? []);
    }
    if (result.output) emit({ type: 'output', exampleId: example.id, output: result.output });
    const now = nowMs();
    if (now - lastFlush >= FLUSH_INTERVAL_MS) {
      flush(i + 1);
      lastFlush = now;
    }
  }
  flush(count);
  return ownMs;
}

async function main(): Promise<void> {
  // The parent checked the job against RunnerJob before sending it (spawnRunner). Parsing it again here would put
  // zod in the bundle: 750 of its 810 KB, about 2 s of start-up per runner process under qemu.
  let job: RunnerJob;
  const nextLine = stdinLines();
  try {
    job = JSON.parse((await nextLine()) ?? '') as RunnerJob;
    if (typeof job?.modelPath !== 'string' || !Array.isArray(job.examples)) throw new Error('stdin is not a runner job: no modelPath or examples');
  } catch (error) {
    fail('JOB_INVALID', error);
  }
  const runtime = runtimeNamed(job.runtime.name ?? DEFAULT_RUNTIME);
  emit({
    type: 'hello',
    node: process.version,
    runtime: { name: runtime.name, version: runtime.version() },
    platform: process.platform,
    arch: process.arch,
    pid: process.pid,
  });

  // Inputs are built before the baseline reading, so the model's share excludes them.
  const feeds = job.examples.map((example) => ({
    id: example.id,
    feeds: Object.fromEntries(Object.entries(example.feeds).map(([name, spec]) => [name, tensorFromSpec(spec)])),
  }));
  try {
    await runtime.start?.();
  } catch (error) {
    fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error));
  }
  const turns = job.turns ? stdinTurns(nextLine) : undefined;
  await turns?.mine();
  const rssBeforeLoad = currentRss();

  let session: RuntimeSession;
  const loadStart = nowMs();
  try {
    session = await runtime.load({ location: job.modelPath }, job.runtime);
  } catch (error) {
    fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error));
  }
  const loadMs = elapsedMs(loadStart);
  turns?.over();
  emit({ type: 'loaded', loadMs, rssBeforeLoad, rssAfterLoad: currentRss() });

  try {
    const examples: PreparedExample[] = feeds.map((example) => ({ id: example.id, feeds: session.prepare(example.feeds) }));
    const task = (taskRunners[job.task.kind] as TaskRunnerFactory)(session, job.task);
    const counter = job.callgrindAddon ? loadInstructionCounter(job.callgrindAddon) : undefined;
    counter?.startInstrumentation();
    await timedLoop(job.warmup, 'warmup', examples, task, counter, turns);
    // What the warm-up ran goes to a dump of its own, so each timed dump holds one iteration.
    counter?.dump(WARMUP_DUMP);
    emit({ type: 'timed-phase', edge: 'start' });
    const cpuBefore = process.cpuUsage();
    const timedStart = nowMs();
    const ownMs = await timedLoop(job.iterations, 'timed', examples, task, counter, turns);
    const wallMs = turns ? ownMs : elapsedMs(timedStart);
    const cpu = process.cpuUsage(cpuBefore);
    emit({ type: 'timed-phase', edge: 'end', wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
  } catch (error) {
    fail('INFERENCE_FAILED', runtimeFailure(runtime, 'run', error));
  }
  emit({ type: 'memory', peakRss: peakRss() });
  emit({ type: 'done' });
  // A runner taking turns still has stdin open; closing it lets the process exit.
  process.stdin.destroy();
  await session.release();
}

main().catch((error: unknown) => fail('RUNNER_CRASHED', error));
