import { ConfigError } from '../config/errors.ts';
import type { Metric } from '../core/metric.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { workloadTestId, workloadTests, type Workload, type WorkloadTest } from '../core/workload.ts';
import { mulberry32 } from '../stats/random.ts';
import { cacheNamePatterns } from './generate.run.ts';
import type { ModelConfig } from './model-config.ts';
import type { TaskVariant } from './task.ts';

/** The most context a variant holds, and where that figure comes from. */
interface ContextLimit {
  tokens: number;
  from: string;
}

/**
 * The synthetic workload of a generate suite on the plan side: its tests (by
 * example id, for the runner), each variant's examples of synthetic token ids,
 * the refusal of tests longer than a variant's context, and the KV cache bytes
 * each context token costs, estimated from the graph's KV inputs.
 *
 * Token ids, as llama-bench draws them: uniform over the vocabulary
 * (input_ids' embedding rows, else the logits' last dimension, else
 * config.json vocab_size), from mulberry32 seeded with workload.seed, one
 * sequence per variant that every test reads from its start: pp<P> takes its
 * first P ids, tg<G>@d<D> fills the cache with the first D and decodes the
 * next G. Special tokens are not avoided, and generation does not stop at
 * them: the workload measures speed, not text.
 */
export class WorkloadPlan {
  readonly tests: WorkloadTest[];

  constructor(
    readonly workload: Workload,
    private readonly suiteFile: string,
  ) {
    this.tests = workloadTests(workload);
  }

  /** The runner's view: each test by its example id. */
  testsById(): Record<string, WorkloadTest> {
    return Object.fromEntries(this.tests.map((test) => [workloadTestId(test), test]));
  }

  /** Refuses a dataset example whose id is a test's name: samples are told apart by their example id. */
  checkExampleIds(ids: readonly string[], datasetFile: string): void {
    const names = new Set(this.tests.map(workloadTestId));
    const clash = ids.find((id) => names.has(id));
    if (clash !== undefined)
      throw new ConfigError(datasetFile, 'id', `example id "${clash}" is also the name of a workload test`, 'give the example another id');
  }

  /** One example per test, of synthetic token ids; throws ConfigError when a test needs more context than the variant holds. */
  examples(variant: TaskVariant, config: ModelConfig): RunnerExample[] {
    const limit = contextLimit(variant, config);
    if (limit) this.checkContext(variant, limit);
    const vocabulary = vocabularySize(variant, config);
    if (vocabulary === undefined)
      throw new ConfigError(
        this.suiteFile,
        'workload',
        `the vocabulary size of variant "${variant.variant.name}" is unknown (no input_ids embedding of known size, no fixed logits size, no vocab_size in config.json), so no token ids can be drawn`,
        "put the model's config.json (with vocab_size) beside it",
      );
    const length = Math.max(...this.tests.map((t) => t.depthTokens + t.timedTokens));
    const random = mulberry32(this.workload.seed);
    const ids = Array.from({ length }, () => Math.floor(random() * vocabulary));
    return this.tests.map((test) => {
      const count = test.depthTokens + test.timedTokens;
      return { id: workloadTestId(test), feeds: { input_ids: { type: 'int64', dims: [1, count], data: ids.slice(0, count) } } };
    });
  }

  private checkContext(variant: TaskVariant, limit: ContextLimit): void {
    const longest = this.tests.reduce((a, b) => (b.depthTokens + b.timedTokens > a.depthTokens + a.timedTokens ? b : a));
    const needed = longest.depthTokens + longest.timedTokens;
    if (needed <= limit.tokens) return;
    const what =
      longest.kind === 'pp'
        ? `${workloadTestId(longest)} needs ${needed} positions (a ${needed}-token prompt)`
        : `${workloadTestId(longest)} needs ${needed} positions (depth ${longest.depthTokens} + ${longest.timedTokens} generated)`;
    const field = longest.kind === 'pp' ? 'workload.promptTokens' : 'workload.depths';
    const fix =
      longest.kind === 'pp'
        ? `keep every workload.promptTokens at most ${limit.tokens}`
        : `keep every workload depth + generateTokens (${longest.timedTokens}) at most ${limit.tokens}: depths up to ${Math.max(0, limit.tokens - longest.timedTokens)}, or fewer generateTokens`;
    throw new ConfigError(this.suiteFile, field, `variant "${variant.variant.name}" holds at most ${limit.tokens} tokens of context (${limit.from}), but ${what}`, fix);
  }
}

/**
 * The most positions a variant can take: a learned position table's rows (position_ids indexes it), the
 * shared past buffer of onnxruntime-genai, or what config.json / genai_config.json declare. The smallest known wins.
 */
function contextLimit(variant: TaskVariant, config: ModelConfig): ContextLimit | undefined {
  const limits: ContextLimit[] = [];
  const positions = variant.model.inputs.find((input) => input.name === 'position_ids')?.indexes;
  if (positions) limits.push({ tokens: positions.rows, from: `position_ids indexes "${positions.table}", which has ${positions.rows} rows` });
  if (config.cache.sharedBufferLength)
    limits.push({ tokens: config.cache.sharedBufferLength, from: 'genai_config.json search.max_length, the length of its shared past/present buffer' });
  const context = config.genai?.model.context_length;
  if (context) limits.push({ tokens: context, from: 'genai_config.json model.context_length' });
  for (const key of ['max_position_embeddings', 'n_positions', 'n_ctx'] as const) {
    const value = config.config?.[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
      limits.push({ tokens: value, from: `config.json ${key}` });
      break;
    }
  }
  return limits.length ? limits.reduce((a, b) => (b.tokens < a.tokens ? b : a)) : undefined;
}

function vocabularySize(variant: TaskVariant, config: ModelConfig): number | undefined {
  const embedding = variant.model.inputs.find((input) => input.name === 'input_ids')?.indexes?.rows;
  if (embedding) return embedding;
  const logits = variant.model.outputs.find((output) => output.name === 'logits') ?? variant.model.outputs[0];
  const last = logits?.dims.at(-1);
  if (typeof last === 'number' && last > 0) return last;
  const declared = config.config?.vocab_size;
  return typeof declared === 'number' && Number.isInteger(declared) && declared > 0 ? declared : undefined;
}

const ELEMENT_BYTES: Partial<Record<string, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/**
 * KV cache bytes per context token: for every past input, its heads x head size x element size, as the graph
 * declares them (symbolic dimensions from config.json / genai_config.json, as the runner reads them). An
 * estimate: it counts the tensors, not the runtime's allocations around them.
 */
export function kvCacheBytesPerToken(variant: TaskVariant, config: ModelConfig): Metric {
  const patterns = cacheNamePatterns(config.cache);
  const pasts = variant.model.inputs.filter((input) => patterns.some((pattern) => pattern.test(input.name)));
  if (pasts.length === 0) return { source: 'unavailable', unit: 'bytes', reason: 'the model has no past (KV cache) inputs' };
  let bytes = 0;
  const kinds = new Set<string>();
  for (const past of pasts) {
    const heads = typeof past.dims[1] === 'number' ? past.dims[1] : config.cache.kvHeads;
    const headDim = typeof past.dims[3] === 'number' ? past.dims[3] : config.cache.headDim;
    const size = ELEMENT_BYTES[past.type];
    if (heads === undefined || headDim === undefined || size === undefined)
      return { source: 'unavailable', unit: 'bytes', reason: `the head count, head size or element type of ${past.name} is not known` };
    bytes += heads * headDim * size;
    kinds.add(`${heads} heads x ${headDim} x ${past.type}`);
  }
  return {
    source: 'estimated',
    value: bytes,
    unit: 'bytes',
    from: `KV shapes: the sum over the graph's ${pasts.length} past inputs of heads x head size x element bytes (${[...kinds].join(', ')})`,
  };
}
