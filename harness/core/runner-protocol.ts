import { z } from 'zod';
import { DecoderCacheLayout } from './model-config.ts';
import { RuntimeIdentity, RuntimeOptions } from './runtime.ts';
import { WorkloadTest } from './workload.ts';

/**
 * The runner's wire protocol. The parent writes one RunnerJob as JSON to the
 * runner's stdin (one line; with `turns`, turn lines follow); the runner answers with one RunnerEvent per stdout line
 * (with `partner`, the partner variant's events wrapped in `partner` events).
 * Plain JSON over pipes, so the same runner works in a child process, under
 * qemu, in a cgroup or over ssh.
 */

export const FEED_TYPES = ['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint16', 'uint8', 'bool'] as const;
export const FeedType = z.enum(FEED_TYPES);
export type FeedType = z.infer<typeof FeedType>;

export const TensorSpec = z.strictObject({
  type: FeedType,
  dims: z.array(z.number().int().nonnegative()),
  /** Row-major values; booleans as 0/1. */
  data: z.array(z.number()),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

export const RunnerExample = z.strictObject({
  id: z.string(),
  feeds: z.record(z.string(), TensorSpec),
});
export type RunnerExample = z.infer<typeof RunnerExample>;

/** What the runner does with each example; the tasks live in harness/tasks/. */
export const TaskSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('classify') }),
  z.strictObject({ kind: z.literal('forward') }),
  z.strictObject({ kind: z.literal('embed') }),
  z.strictObject({
    kind: z.literal('generate'),
    maxNewTokens: z.number().int().positive(),
    stopTokenIds: z.array(z.number().int().nonnegative()),
    cache: DecoderCacheLayout.optional(),
    /** Synthetic workload tests, by the id of the example that carries their token ids. */
    workload: z.record(z.string(), WorkloadTest).optional(),
  }),
  z.strictObject({
    kind: z.literal('perplexity'),
    cache: DecoderCacheLayout.optional(),
  }),
]);
export type TaskSpec = z.infer<typeof TaskSpec>;

/** What one example produced, recorded the first time the timed loop runs it. */
export const ExampleOutput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('classify').describe('A classification.'),
    classIndex: z.number().int().nonnegative().describe("Argmax of the first output's logits."),
    logits: z.array(z.number()).describe("The first output's logits, as the model returned them."),
  }),
  z.strictObject({
    kind: z.literal('generate').describe('A greedy generation.'),
    tokenIds: z.array(z.number().int()).describe('The generated token ids, in order, up to maxNewTokens or a stop token.'),
    /** Next-token logits after the prompt: the distribution fidelity is measured on. */
    firstTokenLogits: z.array(z.number()).describe('Next-token logits after the prompt: the distribution fidelity is measured on.'),
    /** Softmax probability of each generated token: the confidence a router can use. */
    tokenProbabilities: z.array(z.number()).describe('Softmax probability of each generated token: the confidence a router can use.'),
  }),
  z.strictObject({
    kind: z.literal('embed').describe('An embedding.'),
    vector: z
      .array(z.number())
      .describe(
        "The embedding: the first output, mean-pooled over the positions attention_mask keeps when it is [1, sequence, dim] (sentence-transformers' mean pooling).",
      ),
  }),
  z.strictObject({
    kind: z.literal('perplexity').describe("One window of the corpus, scored against the reference variant's stored distributions."),
    nll: z.array(z.number()).describe('−log q(token) of each scored token of the window, in nats, in order.'),
    kld: z.array(z.number()).describe('KL(reference ‖ this variant) at each scored token, over the stored top-k tokens and one tail bucket, in nats.'),
    deltaP: z.array(z.number()).describe('q(token) − p(token) of each scored token: the change in probability of the actual next token.'),
    sameTop1: z.array(z.boolean()).describe("Whether each scored position's most probable token is the reference's."),
  }),
]);
export type ExampleOutput = z.infer<typeof ExampleOutput>;

/**
 * The second variant of a paired A/B round (runner/paired-round.ts): loaded in the same runner process after the
 * job's own model, its iterations alternated with the job's (A B, B A, ...), its events sent wrapped as `partner`.
 * Warm-up and iteration counts are the job's.
 */
export const PartnerJob = z.strictObject({
  modelPath: z.string(),
  task: TaskSpec,
  runtime: RuntimeOptions,
  examples: z.array(RunnerExample).min(1),
});
export type PartnerJob = z.infer<typeof PartnerJob>;

export const RunnerJob = z.strictObject({
  modelPath: z.string(),
  task: TaskSpec,
  warmup: z.number().int().nonnegative(),
  iterations: z.number().int().positive(),
  runtime: RuntimeOptions,
  examples: z.array(RunnerExample).min(1),
  /** Count the instructions of each timed inference as well (the device runs a callgrind process beside the timed one). */
  countInstructions: z.boolean().optional(),
  /** Set by the device for the process it runs under callgrind: the addon whose client requests dump the counts after each inference. */
  callgrindAddon: z.string().optional(),
  /**
   * Take turns with another runner on the device (an A/B round, runner/turn-taking.ts): the job is then the first
   * line of stdin, which stays open; the runner waits for a TURN_GO line before its load and before each iteration and
   * writes TURN_DONE_LINE after each. When stdin ends it runs freely.
   */
  turns: z.boolean().optional(),
  /** A paired A/B round: the other variant, run in this process beside the job's own (never with turns or instruction counts). */
  partner: PartnerJob.optional(),
});
export type RunnerJob = z.infer<typeof RunnerJob>;

/** A memory figure and the counter it came from. */
export const MemoryReading = z.strictObject({
  bytes: z.number().nonnegative(),
  method: z.string(),
});
export type MemoryReading = z.infer<typeof MemoryReading>;

const OwnRunnerEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    node: z.string(),
    /** The runtime the runner loads the model with. */
    runtime: RuntimeIdentity,
    platform: z.string(),
    arch: z.string(),
    /** The process that runs the model, when it is on this machine. */
    pid: z.number().int().optional(),
  }),
  z.strictObject({
    type: z.literal('loaded'),
    loadMs: z.number().nonnegative(),
    /** Absent when the device's memory cannot be read (RunnerOutcome.memoryUnavailable says why). */
    rssBeforeLoad: MemoryReading.optional(),
    rssAfterLoad: MemoryReading.optional(),
  }),
  /** Consecutive iterations from firstIteration on; batched, because a pipe write per iteration costs more than a small model's inference. */
  z.strictObject({
    type: z.literal('samples'),
    phase: z.enum(['warmup', 'timed']),
    firstIteration: z.number().int().nonnegative(),
    exampleIds: z.array(z.string()),
    latenciesMs: z.array(z.number().nonnegative()),
    /** generate: time to first token (prefill + first token) and each decode step, per iteration; null for an iteration with no first token (a workload tg test). */
    ttftMs: z.array(z.number().nonnegative().nullable()).optional(),
    decodeMs: z.array(z.array(z.number().nonnegative())).optional(),
  }),
  z.strictObject({ type: z.literal('output'), exampleId: z.string(), output: ExampleOutput }),
  /** The timed phase's edges, sent outside it, so probes sampling beside the runner know which samples it spans. */
  z.strictObject({
    type: z.literal('timed-phase'),
    edge: z.enum(['start', 'end']),
    /** end: the phase's duration, and the runner's CPU time in it (user + system), where the runtime can tell. */
    wallMs: z.number().nonnegative().optional(),
    cpuMs: z.number().nonnegative().optional(),
  }),
  z.strictObject({ type: z.literal('memory'), peakRss: MemoryReading }),
  z.strictObject({ type: z.literal('done') }),
  /** Sent by the device, not the runner: what the callgrind process counted, or why it could not. */
  z.strictObject({
    type: z.literal('instructions'),
    /** Instructions inside onnxruntime per timed iteration, in order. */
    perIteration: z.array(z.number().nonnegative()).optional(),
    /** The example each of those iterations ran (the same ids in the same order in every process of a cell). */
    exampleIds: z.array(z.string()).optional(),
    /** generate: tokens each of those iterations generated. */
    tokens: z.array(z.number().int().nonnegative()).optional(),
    /** Outputs that differ from the native process's, named. */
    warnings: z.array(z.string()).optional(),
    unavailable: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);

export const RunnerEvent = z.discriminatedUnion('type', [
  ...OwnRunnerEvent.options,
  /** In a paired round's process (RunnerJob.partner): an event of the partner variant, which the parent records as that cell's. */
  z.strictObject({ type: z.literal('partner'), event: OwnRunnerEvent }),
]);
export type RunnerEvent = z.infer<typeof RunnerEvent>;
/** An event of the variant it is recorded for: what a cell's journal and results hold. */
export type OwnRunnerEvent = z.infer<typeof OwnRunnerEvent>;
