import type { DecoderCacheLayout } from '../core/model-config.ts';
import { logSoftmax } from '../stats/fidelity.ts';
import { tokenDivergence, type StoredDistribution } from '../stats/token-divergence.ts';
import type { RuntimeSession } from '../runtimes/runtime.ts';
import { float32Values, tensor, type NamedTensors, type Tensor } from '../runtimes/tensor.ts';
import { elapsedMs, nowMs } from './clock.ts';
import { cacheEntries, inputFillers, logitsOutput } from './generate.run.ts';
import type { PreparedExample, TaskRunner, TaskRunnerFactory } from './task.ts';

/**
 * The feeds of a perplexity window besides input_ids: where scoring starts and
 * the reference's stored distribution at each scored position (written by
 * perplexity.plan.ts). Not model inputs: the task reads them and feeds only
 * what the model declares.
 */
export const WINDOW_FEEDS = {
  scoredFrom: 'perplexity.scored_from',
  ids: 'reference.top_ids',
  logProbs: 'reference.top_log_probs',
  tailMass: 'reference.tail_mass',
  targetLogProb: 'reference.target_log_prob',
} as const;

/** One pass over a window of tokens: its logits at every position. */
export interface WindowPass {
  /** The model's feeds for the window, in the runtime's own form: built before the timed span. */
  feeds(tokens: readonly number[]): NamedTensors;
  run(feeds: NamedTensors): Promise<{ logits: Tensor; latencyMs: number }>;
}

/**
 * A window is run as generate's first step: the whole sequence with an empty
 * KV cache (or none, for a decoder exported without past), which every layout
 * generate feeds accepts, and the logits of every position are read.
 */
export function windowPass(session: RuntimeSession, cache: DecoderCacheLayout = {}): WindowPass {
  const entries = cacheEntries(session, cache, false);
  const fillers = inputFillers(session, entries);
  const logitsName = logitsOutput(session);
  const length = cache.sharedBufferLength ?? 0;
  return {
    feeds(tokens) {
      const ids = tokens.map(BigInt);
      const feeds: NamedTensors = {};
      for (const [name, fill] of fillers) feeds[name] = fill(ids, 0);
      for (const entry of entries) {
        const size = entry.heads * length * entry.headDim;
        feeds[entry.past] = tensor(entry.type, entry.type === 'float16' ? new Uint16Array(size) : new Float32Array(size), [
          1,
          entry.heads,
          length,
          entry.headDim,
        ]);
      }
      return session.prepare(feeds);
    },
    async run(feeds) {
      const start = nowMs();
      const outputs = await session.run(feeds, { everyPosition: true });
      const latencyMs = elapsedMs(start);
      return { logits: outputs[logitsName]!, latencyMs };
    },
  };
}

/** The log-softmax at each position of a [1, sequence, vocabulary] logits output, float16 read as float32. */
export function positionLogProbs(logits: Tensor, sequence: number): (position: number) => Float64Array {
  const [vocabulary] = logits.dims.slice(-1);
  const positions = logits.dims.length >= 2 ? logits.dims.at(-2)! : 1;
  if (positions !== sequence) {
    throw new Error(
      `the logits output has ${positions} position${positions === 1 ? '' : 's'} for a window of ${sequence} tokens: ` +
        'the perplexity task needs the logits of every position (export the model with full-sequence logits)',
    );
  }
  const values = float32Values(logits);
  return (position) => logSoftmax(values.subarray(position * vocabulary!, (position + 1) * vocabulary!));
}

/**
 * One window per iteration: a full-sequence pass (timed), then, outside the
 * timed span, each scored token against the reference's stored distribution
 * (stats/token-divergence.ts).
 */
export const perplexityTask: TaskRunnerFactory<'perplexity'> = (session, spec) => {
  const pass = windowPass(session, spec.cache);
  const runner: TaskRunner = {
    async iterate(example, wantOutput) {
      const window = readWindow(example);
      const { logits, latencyMs } = await pass.run(pass.feeds(window.tokens));
      if (!wantOutput) return { latencyMs };
      const rows = positionLogProbs(logits, window.tokens.length);
      const nll: number[] = [];
      const kld: number[] = [];
      const deltaP: number[] = [];
      const sameTop1: boolean[] = [];
      window.references.forEach((reference, i) => {
        const target = window.scoredFrom + i;
        const token = tokenDivergence(rows(target - 1), window.tokens[target]!, reference);
        nll.push(token.nll);
        kld.push(token.kld);
        deltaP.push(token.deltaP);
        sameTop1.push(token.sameTop1);
      });
      return { latencyMs, output: { kind: 'perplexity', nll, kld, deltaP, sameTop1 } };
    },
  };
  return runner;
};

interface Window {
  tokens: number[];
  scoredFrom: number;
  references: StoredDistribution[];
}

/** The window's tokens and stored reference rows, read once per example (the feeds do not change between iterations). */
const windows = new WeakMap<PreparedExample, Window>();

function readWindow(example: PreparedExample): Window {
  const known = windows.get(example);
  if (known) return known;
  const feed = (name: string) => {
    const value = example.feeds[name];
    if (!value) throw new Error(`perplexity window ${example.id} has no ${name} feed: plan it with edgebench (perplexity.plan.ts)`);
    return value;
  };
  const tokens = Array.from(feed('input_ids').data as ArrayLike<number | bigint>, Number);
  const scoredFrom = Number(feed(WINDOW_FEEDS.scoredFrom).data[0]);
  const ids = feed(WINDOW_FEEDS.ids);
  const k = ids.dims[1]!;
  const logProbs = feed(WINDOW_FEEDS.logProbs).data as ArrayLike<number>;
  const tailMass = feed(WINDOW_FEEDS.tailMass).data as ArrayLike<number>;
  const targetLogProb = feed(WINDOW_FEEDS.targetLogProb).data as ArrayLike<number>;
  const idData = ids.data as ArrayLike<number>;
  const references = Array.from({ length: tokens.length - scoredFrom }, (_, i) => ({
    ids: Array.from({ length: k }, (_, j) => Number(idData[i * k + j])),
    logProbs: Array.from({ length: k }, (_, j) => logProbs[i * k + j]!),
    tailMass: tailMass[i]!,
    targetLogProb: targetLogProb[i]!,
  }));
  const window = { tokens, scoredFrom, references };
  windows.set(example, window);
  return window;
}
