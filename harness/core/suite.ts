import { z } from 'zod';
import { AdaptiveRepeatsOptions } from './adaptive-repeats.ts';
import { GateSettings } from './gate-settings.ts';
import { Budget, CompareOptions } from './budget.ts';
import { ThermalOptions } from './probe-options.ts';
import { printableText } from './printable-text.ts';
import { RuntimeName, RuntimeOptions } from './runtime.ts';
import { Workload } from './workload.ts';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

/** q4f16: int4 weights (MatMulNBits) with float16 activations, as transformers.js names model_q4f16.onnx. */
export const Precision = z.enum(['fp32', 'fp16', 'bf16', 'int8', 'uint8', 'int4', 'q4f16', 'mixed']);
export type Precision = z.infer<typeof Precision>;

export const VariantSpec = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'variant name must start with a letter or digit and use only letters, digits, ".", "_" or "-"')
      .describe('Name of the variant in results and reports, e.g. "int8".'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the .onnx file, relative to the suite file. External data files it references are found and counted automatically.'),
    manifest: z
      .string()
      .min(1)
      .optional()
      .describe('Instead of file: the manifest `edgebench quantize` wrote (model_q4.manifest.json); its file hashes are checked before every run.'),
    precision: Precision.optional().describe('Numeric precision of the weights; required with file, taken from the manifest otherwise.'),
    sha256: Sha256.optional().describe('Expected sha256 of the variant (see results.json variant.sha256); a mismatch stops the run before it starts.'),
    runtime: RuntimeName.optional().describe(
      "Runtime for this variant; default: the suite's runtime.name, else the device kind's own. Every device of the suite must be able to host it.",
    ),
    devices: z
      .array(printableText())
      .min(1)
      .optional()
      .describe("Device ids this variant runs on, among the run's devices; default: all of them. A run without any of them has no cell of this variant."),
  })
  .superRefine((variant, ctx) => {
    if ((variant.file === undefined) === (variant.manifest === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['file'],
        message: 'a variant needs exactly one of "file" (an .onnx file) or "manifest" (from edgebench quantize)',
      });
    }
    if (variant.file !== undefined && variant.precision === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['precision'],
        message: 'a variant given by file needs its precision (fp32, fp16, bf16, int8, uint8, int4, q4f16 or mixed)',
      });
    }
  })
  .describe('One model variant to benchmark.');
export type VariantSpec = z.infer<typeof VariantSpec>;

/** A suite's `model:` field: a model folder, or a folder and the variants to keep. */
export const ModelFolderSpec = z
  .union([
    z.string().min(1),
    z.strictObject({
      folder: z.string().min(1).describe('The model folder, relative to the suite file.'),
      variants: z.array(z.string().min(1)).min(1).optional().describe('Keep only these discovered variants (by name), in this order.'),
    }),
  ])
  .describe(
    'A model folder (transformers.js onnx/, legacy Optimum decoder_model_merged.onnx, or onnxruntime-genai genai_config.json), relative to the suite file: every variant found in it is benchmarked, named as its exporter names it, with its precision read from the graph.',
  );
export type ModelFolderSpec = z.infer<typeof ModelFolderSpec>;

export const TaskKind = z.enum(['classify', 'generate', 'embed', 'forward', 'perplexity']);
export type TaskKind = z.infer<typeof TaskKind>;

export const GenerationOptions = z
  .strictObject({
    maxNewTokens: z.number().int().min(1).max(4096).default(32).describe('Tokens generated per example at most.'),
    tokenizer: z
      .string()
      .optional()
      .describe(
        "tokenizer.json (Hugging Face format), relative to the suite file; default: tokenizer.json in the first variant's folder or the folder above it.",
      ),
    stopTokenIds: z
      .array(z.number().int().nonnegative())
      .optional()
      .describe(
        'Generation stops at any of these tokens; default: every eos id generation_config.json, config.json, genai_config.json and tokenizer_config.json beside the tokenizer declare.',
      ),
    chatTemplate: z
      .boolean()
      .optional()
      .describe(
        "Apply the tokenizer's chat_template to each line's prompt or messages; default: when tokenizer_config.json has one. false sends prompts as written; true requires a template.",
      ),
  })
  .describe('generate task settings.');

export const PerplexityOptions = z
  .strictObject({
    context: z.number().int().min(2).max(65_536).default(128).describe('Tokens per window: the most context a scored token is predicted from.'),
    stride: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Tokens between the starts of two windows; each window scores only the tokens past its overlap with the one before (Hugging Face "Perplexity of fixed-length models"). Default: context / 2. Equal to context: disjoint windows.',
      ),
    topK: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(32)
      .describe('Reference tokens stored per position; the remaining mass is one bucket, which makes the stored KL a lower bound of the full KL.'),
    reference: printableText()
      .optional()
      .describe(
        'Variant whose distributions KL divergence, same top-1 and Δp are measured against; default: scoring.fidelityReference, else the first fp32 variant.',
      ),
    referenceFile: z
      .string()
      .optional()
      .describe(
        'Where the reference distributions are stored, relative to the suite file; default .cache/perplexity/<key>.topk in the working directory, key the hash of the reference model, the tokens and topK. Computed on this machine by the reference variant when missing, reused when present.',
      ),
    tokenizer: z
      .string()
      .optional()
      .describe(
        "tokenizer.json (Hugging Face format), relative to the suite file; default: tokenizer.json in the first variant's folder or the folder above it.",
      ),
  })
  .describe('perplexity task settings: the corpus is the suite dataset, a plain text file or JSON lines of {"text": ...}.');
export type PerplexityOptions = z.infer<typeof PerplexityOptions>;

export const ClassificationOptions = z
  .strictObject({
    labels: z
      .union([z.string(), z.array(printableText()).min(2)])
      .describe('Class names in logit order: a list, or a JSON file (relative to the suite file) holding one.'),
    abstainLabels: z
      .array(printableText())
      .default([])
      .describe('Labels that mean "out of scope": predicting one is abstaining. Examples whose expected label is one of them are the out-of-domain set.'),
  })
  .describe('classify task settings.');

export const BaselineSpec = z
  .discriminatedUnion('provider', [
    z.strictObject({ provider: z.literal('recorded'), field: printableText().default('baseline').describe("Dataset field holding the cloud model's answer.") }),
    z.strictObject({
      provider: z.literal('reference'),
      variant: printableText().describe('Variant whose outputs on the same device are the reference, e.g. fp32.'),
    }),
    z.strictObject({
      provider: z.literal('openai-compatible'),
      model: printableText(),
      baseUrlEnv: z.string().default('EDGEBENCH_BASELINE_URL').describe('Environment variable holding the endpoint base URL (…/v1).'),
      apiKeyEnv: z.string().default('EDGEBENCH_BASELINE_API_KEY').describe('Environment variable holding the API key; it is never written anywhere.'),
      maxTokens: z.number().int().positive().default(64),
      offline: z.boolean().default(false).describe('Use cached answers only (CI replay); a missing answer is an error.'),
    }),
  ])
  .describe('Where the answers to compare with come from: recorded in the dataset, another variant, or a live cloud model (cached on disk).');

export const ScoringOptions = z
  .strictObject({
    metric: z
      .enum(['accuracy', 'exact-match', 'token-f1'])
      .optional()
      .describe('Agreement with the baseline; default accuracy (classify) or exact-match (generate).'),
    hallucination: z
      .enum(['none', 'extraction'])
      .default('none')
      .describe('extraction: an output value that does not appear in the input counts as hallucinated.'),
    slots: z
      .enum(['none', 'call'])
      .default('none')
      .describe('call: answers are written as intent(slot=value, ...); slot F1 and intent accuracy are scored against the baseline.'),
    fidelityReference: printableText()
      .optional()
      .describe('Variant that fidelity (KL divergence, top-1 agreement) is measured against; default: the first fp32 variant.'),
  })
  .describe('Quality scoring.');

export const RouterOptions = z
  .strictObject({
    signal: z.enum(['max-probability', 'entropy', 'logit-gap']).default('entropy'),
    targetAccuracy: z.number().gt(0).max(1).describe('Combined accuracy the hybrid local/cloud setup must reach.'),
  })
  .describe('Hybrid router simulation: forward low-confidence requests to the cloud baseline.');

export const Suite = z
  .strictObject({
    $schema: z.string().optional(),
    name: printableText(z.string().min(1)).describe('Suite name, shown in reports.'),
    task: TaskKind.describe(
      'What the model does. classify: the first output holds class logits; the predicted class of each example is recorded. forward: one forward pass per iteration, outputs not interpreted.',
    ),
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe(
        'JSON-lines file of examples, relative to the suite file. Each line: {"id": "...", "inputs": {"<input name>": nested array}}. Optional for a generate suite with a workload.',
      ),
    warmup: z.number().int().min(0).max(100_000).default(10).describe('Untimed iterations before measuring; their latencies are kept apart.'),
    iterations: z.number().int().min(1).max(1_000_000).default(100).describe('Timed iterations per runner process; examples are used in turn.'),
    repeats: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .describe(
        'Most fresh runner processes per device x variant (adaptiveRepeats may stop a cell sooner), each with its own warm-up and iterations. Variants take turns, in a new order each repeat, so machine drift hits them all; compare treats the process as the unit of replication (at least 3 per side), which is what keeps a CI gate free of false alarms.',
      ),
    measure: z
      .array(z.enum(['time', 'instructions']))
      .min(1)
      .default(['time'])
      .describe(
        'What to measure. time: wall time (always). instructions: also count the instructions onnxruntime executes per inference under callgrind, in extra runner processes on local and emulated devices (edgebench run --instructions).',
      ),
    adaptiveRepeats: AdaptiveRepeatsOptions.default({ enabled: true, minRepeats: 3 }),
    timeoutSeconds: z.number().positive().max(86_400).default(600).describe('A cell that runs longer is stopped and recorded as failed.'),
    signatures: z
      .strictObject({
        publicKeys: z
          .array(z.string().min(1))
          .min(1)
          .describe('PEM ed25519 public keys (edgebench keygen), relative to the suite file, whose bundle signatures are trusted.'),
        required: z
          .boolean()
          .default(true)
          .describe('Refuse every variant without a valid signature by one of these keys; false records the check on each variant without refusing.'),
      })
      .optional()
      .describe("Signed model bundles (edgebench sign): each variant's <model>.sig.json is checked before the run."),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        'Times a runner process is run again when the device, not the model, ended it (DEVICE_LOST: a browser, session, server or connection died). Each lost attempt is recorded on its repeat; a model that fails is never retried.',
      ),
    runtime: RuntimeOptions.default({ graphOptimizationLevel: 'all', executionMode: 'sequential' }),
    generation: GenerationOptions.optional(),
    workload: Workload.optional().describe(
      'generate only: synthetic llama-bench style tests (pp<P>, tg<G>@d<D>) run beside the dataset examples, or instead of them when there is no dataset.',
    ),
    classification: ClassificationOptions.optional(),
    perplexity: PerplexityOptions.optional(),
    baseline: BaselineSpec.optional(),
    scoring: ScoringOptions.default({ hallucination: 'none', slots: 'none' }),
    router: RouterOptions.optional(),
    budgets: z.array(Budget).default([]).describe('Release budgets checked by edgebench compare (and the end of edgebench run).'),
    compare: CompareOptions.default({ threshold: 0.03, alpha: 0.01, allowDifferent: ['variant', 'runtime'] }),
    gate: GateSettings.optional(),
    thermal: ThermalOptions.optional(),
    devices: z.array(printableText()).min(1).optional().describe('Device ids to run on; all devices in devices.yaml when omitted.'),
    model: ModelFolderSpec.optional(),
    variants: z.array(VariantSpec).default([]).describe("Model variants to benchmark; with model, these come after the folder's own."),
  })
  .superRefine((suite, ctx) => {
    if (suite.variants.length === 0 && suite.model === undefined) {
      ctx.addIssue({
        code: 'too_small',
        origin: 'array',
        minimum: 1,
        inclusive: true,
        path: ['variants'],
        message: 'a suite needs at least one variant (or a model folder: model: <folder>)',
      });
    }
    // With a model folder, the variants are known only once the folder is read (plan/model-folder-variants.ts checks them there).
    if (
      suite.model === undefined &&
      suite.baseline?.provider === 'reference' &&
      !suite.variants.some((v) => v.name === (suite.baseline as { variant: string }).variant)
    ) {
      ctx.addIssue({ code: 'custom', path: ['baseline', 'variant'], message: `no variant named "${suite.baseline.variant}" in this suite` });
    }
    if (suite.dataset === undefined && suite.workload === undefined)
      ctx.addIssue({
        code: 'invalid_type',
        expected: 'string',
        input: undefined,
        path: ['dataset'],
        message: 'a suite needs a dataset (or, for the generate task, a workload)',
      });
    if (suite.workload !== undefined && suite.task !== 'generate')
      ctx.addIssue({ code: 'custom', path: ['workload'], message: `a workload drives text generation: it needs task: generate, not ${suite.task}` });
    if (suite.router && !suite.baseline)
      ctx.addIssue({ code: 'custom', path: ['router'], message: 'the router forwards to the cloud baseline: add a baseline' });
    const seen = new Set<string>();
    suite.variants.forEach((variant, index) => {
      if (seen.has(variant.name)) {
        ctx.addIssue({ code: 'custom', path: ['variants', index, 'name'], message: `duplicate variant name "${variant.name}"` });
      }
      seen.add(variant.name);
    });
  })
  .describe('An edgebench benchmark suite (suites/*.yaml).');
export type Suite = z.infer<typeof Suite>;
