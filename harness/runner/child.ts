/**
 * The runner: one process per (device, variant) cell, so the peak memory it
 * reports is the variant's own. Reads a RunnerJob from stdin, streams
 * RunnerEvents to stdout as JSON lines. Nothing else is written to stdout but,
 * when the job takes turns with another runner, the end of each turn. A paired
 * A/B round's job names a partner variant too: both are loaded here, their
 * iterations alternate, and the partner's events go out wrapped (runner/paired-round.ts).
 */
import { currentRss, peakRss } from './memory.ts';
import { loadInstructionCounter, TIMED_DUMP_PREFIX, WARMUP_DUMP, type InstructionCounter } from './instruction-counter.ts';
import type { OwnRunnerEvent, RunnerEvent, RunnerJob } from '../core/runner-protocol.ts';
import { TURN_DONE_LINE, TURN_GO } from './turn-taking.ts';
import type { RuntimeName } from '../core/runtime.ts';
import { llamaCpp } from '../runtimes/llama-cpp.ts';
import { onnxruntimeNode } from '../runtimes/onnxruntime-node.ts';
import { runtimes, type RuntimesOf } from '../runtimes/registry.ts';
import { runtimeFailure, type Runtime, type RuntimeSession } from '../runtimes/runtime.ts';
import { tensorFromSpec } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from '../tasks/clock.ts';
import { taskRunners } from '../tasks/registry.ts';
import type { IterationResult, PreparedExample, TaskRunner, TaskRunnerFactory } from '../tasks/task.ts';

/** The runtimes the Node.js runner holds: every runtime the registry places in it. */
const nodeRuntimes = { 'onnxruntime-node': onnxruntimeNode, 'llama.cpp': llamaCpp } satisfies Record<RuntimesOf<'node'>, Runtime>;
const DEFAULT_RUNTIME: RuntimesOf<'node'> = 'onnxruntime-node';

function emit(event: RunnerEvent | OwnRunnerEvent): void {
  // stdout is a pipe: writes are synchronous on Linux, and happen outside the timed region.
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Reports the failure as the variant's own (`to`: its events' way out) and ends the process. */
function fail(code: string, error: unknown, to: Emit = emit): never {
  to({ type: 'error', code, message: error instanceof Error ? error.message : String(error) });
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

function runtimeNamed(name: RuntimeName, to: Emit = emit): Runtime {
  if (name in nodeRuntimes) return nodeRuntimes[name as RuntimesOf<'node'>];
  fail(
    'RUNTIME_UNAVAILABLE',
    `runtime ${name} (${runtimes[name].description}) does not run in the Node.js runner: it runs on ${runtimes[name].hosts.join(', ')} devices`,
    to,
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

/** Where a variant's events go: straight to stdout, or wrapped as the partner's in a paired round. */
type Emit = (event: OwnRunnerEvent) => void;

/** A variant loaded in this process: the job's own, or a paired round's partner. */
interface LoadedVariant {
  emit: Emit;
  runtime: Runtime;
  session: RuntimeSession;
  examples: PreparedExample[];
  task: TaskRunner;
}

/**
 * One phase of one variant's iterations. Latencies are buffered and sent at most every 0.5 s: the parent still
 * sees progress (and keeps what was measured if the runner dies), without a write between two inferences. Each
 * example's output is recorded the first time the timed loop runs it.
 */
class PhaseLoop {
  private batch: SampleBatch = PhaseLoop.emptyBatch(0);
  private lastFlush = nowMs();
  /** The variant's own time in the phase: what its iterations took, without the other runner's turns or the partner's iterations. */
  ownMs = 0;
  /** Its CPU time (user + system), counted per iteration: only in a paired round, where the process's total is two variants'. */
  cpuMs = 0;

  constructor(
    private readonly phase: 'warmup' | 'timed',
    private readonly variant: LoadedVariant,
    private readonly countCpu: boolean,
  ) {}

  private static emptyBatch(firstIteration: number): SampleBatch {
    return { firstIteration, exampleIds: [], latenciesMs: [], ttftMs: [], decodeMs: [] };
  }

  /** Iteration i; `afterIterate` runs right after the inference, before any bookkeeping (the instruction counter's dump). */
  async step(i: number, afterIterate?: () => void): Promise<void> {
    const { examples, task, emit } = this.variant;
    const example = examples[i % examples.length]!;
    const cpuBefore = this.countCpu ? process.cpuUsage() : undefined;
    const start = nowMs();
    let result: IterationResult;
    try {
      result = await task.iterate(example, this.phase === 'timed' && i < examples.length);
    } catch (error) {
      fail('INFERENCE_FAILED', runtimeFailure(this.variant.runtime, 'run', error), emit);
    }
    this.ownMs += elapsedMs(start);
    if (cpuBefore) {
      const cpu = process.cpuUsage(cpuBefore);
      this.cpuMs += (cpu.user + cpu.system) / 1000;
    }
    afterIterate?.();
    this.batch.exampleIds.push(example.id);
    this.batch.latenciesMs.push(result.latencyMs);
    if (result.ttftMs !== undefined || result.decodeMs !== undefined) {
      this.batch.ttftMs.push(result.ttftMs ?? null);
      this.batch.decodeMs.push(result.decodeMs ?? []);
    }
    if (result.output) emit({ type: 'output', exampleId: example.id, output: result.output });
    const now = nowMs();
    if (now - this.lastFlush >= FLUSH_INTERVAL_MS) {
      this.flush(i + 1);
      this.lastFlush = now;
    }
  }

  flush(next: number): void {
    if (this.batch.latenciesMs.length > 0) {
      const { ttftMs, decodeMs, ...rest } = this.batch;
      this.variant.emit({ type: 'samples', phase: this.phase, ...rest, ...(ttftMs.length ? { ttftMs, decodeMs } : {}) });
    }
    this.batch = PhaseLoop.emptyBatch(next);
  }
}

/**
 * Runs `count` iterations of each variant's task, examples in turn. With two variants (a paired round) their
 * iterations alternate A B, B A, A B, ..., so whatever the machine does over the phase falls on both alike and
 * neither always runs right after the other. Taking turns with another runner, each iteration waits for the turn
 * and hands it on once its bookkeeping is done, so none of it overlaps the other runner's timed iteration.
 */
async function timedLoop(
  count: number,
  phase: 'warmup' | 'timed',
  variants: LoadedVariant[],
  counter: InstructionCounter | undefined,
  turns: Turns | undefined,
): Promise<PhaseLoop[]> {
  const loops = variants.map((variant) => new PhaseLoop(phase, variant, variants.length > 1));
  const dump = (i: number) => (phase === 'timed' && counter ? () => counter.dump(`${TIMED_DUMP_PREFIX}${i}`) : undefined);
  for (let i = 0; i < count; i++) {
    for (const loop of i % 2 === 0 ? loops : [...loops].reverse()) {
      await turns?.mine();
      await loop.step(i, dump(i));
      turns?.over();
    }
  }
  for (const loop of loops) loop.flush(count);
  return loops;
}

function hello(runtime: Runtime): OwnRunnerEvent {
  return {
    type: 'hello',
    node: process.version,
    runtime: { name: runtime.name, version: runtime.version() },
    platform: process.platform,
    arch: process.arch,
    pid: process.pid,
  };
}

/** What a variant needs to be loaded: the job's own fields, or its partner's. */
type VariantJob = Pick<RunnerJob, 'modelPath' | 'task' | 'runtime' | 'examples'>;

/**
 * Loads one variant: its inputs are built before the baseline reading, so the model's share excludes them. A
 * failure is reported as the variant's own (through `emit`), and ends the process.
 */
async function loadVariant(spec: VariantJob, emit: Emit, turns: Turns | undefined): Promise<LoadedVariant> {
  const runtime = runtimeNamed(spec.runtime.name ?? DEFAULT_RUNTIME, emit);
  const feeds = spec.examples.map((example) => ({
    id: example.id,
    feeds: Object.fromEntries(Object.entries(example.feeds).map(([name, tensor]) => [name, tensorFromSpec(tensor)])),
  }));
  try {
    await runtime.start?.();
  } catch (error) {
    fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error), emit);
  }
  await turns?.mine();
  const rssBeforeLoad = currentRss();
  let session: RuntimeSession;
  const loadStart = nowMs();
  try {
    session = await runtime.load({ location: spec.modelPath }, spec.runtime);
  } catch (error) {
    fail('MODEL_LOAD_FAILED', runtimeFailure(runtime, 'load', error), emit);
  }
  const loadMs = elapsedMs(loadStart);
  turns?.over();
  emit({ type: 'loaded', loadMs, rssBeforeLoad, rssAfterLoad: currentRss() });
  try {
    const examples: PreparedExample[] = feeds.map((example) => ({ id: example.id, feeds: session.prepare(example.feeds) }));
    const task = (taskRunners[spec.task.kind] as TaskRunnerFactory)(session, spec.task);
    return { emit, runtime, session, examples, task };
  } catch (error) {
    fail('INFERENCE_FAILED', runtimeFailure(runtime, 'run', error), emit);
  }
}

async function main(): Promise<void> {
  // The parent checked the job against RunnerJob before sending it (spawnRunner). Parsing it again here would put
  // zod in the bundle: 750 of its 810 KB, about 2 s of start-up per runner process under qemu.
  let job: RunnerJob;
  const nextLine = stdinLines();
  try {
    job = JSON.parse((await nextLine()) ?? '') as RunnerJob;
    if (typeof job?.modelPath !== 'string' || !Array.isArray(job.examples)) throw new Error('stdin is not a runner job: no modelPath or examples');
    if (job.partner && (job.turns || job.callgrindAddon)) throw new Error('a paired round (partner) neither takes turns nor counts instructions');
  } catch (error) {
    fail('JOB_INVALID', error);
  }
  const runtime = runtimeNamed(job.runtime.name ?? DEFAULT_RUNTIME);
  emit(hello(runtime));

  const turns = job.turns ? stdinTurns(nextLine) : undefined;
  const variants = [await loadVariant(job, emit, turns)];
  if (job.partner) {
    const emitPartner: Emit = (event) => emit({ type: 'partner', event });
    emitPartner(hello(runtimeNamed(job.partner.runtime.name ?? DEFAULT_RUNTIME, emitPartner)));
    variants.push(await loadVariant(job.partner, emitPartner, undefined));
  }

  try {
    const counter = job.callgrindAddon ? loadInstructionCounter(job.callgrindAddon) : undefined;
    counter?.startInstrumentation();
    await timedLoop(job.warmup, 'warmup', variants, counter, turns);
    // What the warm-up ran goes to a dump of its own, so each timed dump holds one iteration.
    counter?.dump(WARMUP_DUMP);
    for (const variant of variants) variant.emit({ type: 'timed-phase', edge: 'start' });
    const cpuBefore = process.cpuUsage();
    const timedStart = nowMs();
    const loops = await timedLoop(job.iterations, 'timed', variants, counter, turns);
    if (loops.length > 1)
      for (const [k, loop] of loops.entries()) variants[k]!.emit({ type: 'timed-phase', edge: 'end', wallMs: loop.ownMs, cpuMs: loop.cpuMs });
    else {
      const wallMs = turns ? loops[0]!.ownMs : elapsedMs(timedStart);
      const cpu = process.cpuUsage(cpuBefore);
      emit({ type: 'timed-phase', edge: 'end', wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  } catch (error) {
    fail('INFERENCE_FAILED', runtimeFailure(runtime, 'run', error));
  }
  emit({ type: 'memory', peakRss: peakRss() });
  emit({ type: 'done' });
  // A runner taking turns still has stdin open; closing it lets the process exit.
  process.stdin.destroy();
  for (const variant of variants) await variant.session.release();
}

main().catch((error: unknown) => fail('RUNNER_CRASHED', error));
