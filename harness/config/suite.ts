import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

export const Precision = z.enum(['fp32', 'fp16', 'bf16', 'int8', 'int4', 'mixed']);
export type Precision = z.infer<typeof Precision>;

export const VariantSpec = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'variant name must start with a letter or digit and use only letters, digits, ".", "_" or "-"')
      .describe('Name of the variant in results and reports, e.g. "int8".'),
    file: z.string().min(1).optional().describe('Path of the .onnx file, relative to the suite file. External data files it references are found and counted automatically.'),
    manifest: z.string().min(1).optional().describe('Instead of file: the manifest `edgebench quantize` wrote (model_q4.manifest.json); its file hashes are checked before every run.'),
    precision: Precision.optional().describe('Numeric precision of the weights; required with file, taken from the manifest otherwise.'),
    sha256: Sha256.optional().describe('Expected sha256 of the variant (see results.json variant.sha256); a mismatch stops the run before it starts.'),
  })
  .superRefine((variant, ctx) => {
    if ((variant.file === undefined) === (variant.manifest === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'a variant needs exactly one of "file" (an .onnx file) or "manifest" (from edgebench quantize)' });
    }
    if (variant.file !== undefined && variant.precision === undefined) {
      ctx.addIssue({ code: 'custom', path: ['precision'], message: 'a variant given by file needs its precision (fp32, fp16, bf16, int8, int4 or mixed)' });
    }
  })
  .describe('One model variant to benchmark.');
export type VariantSpec = z.infer<typeof VariantSpec>;

export const GraphOptimizationLevel = z.enum(['disabled', 'basic', 'extended', 'all']);

export const RuntimeOptions = z
  .strictObject({
    intraOpThreads: z.number().int().min(1).max(1024).optional().describe('Threads inside one operator; unset means onnxruntime chooses (all cores).'),
    interOpThreads: z.number().int().min(1).max(1024).optional().describe('Threads across operators (parallel execution mode only).'),
    graphOptimizationLevel: GraphOptimizationLevel.default('all').describe('onnxruntime graph optimisation level.'),
    executionMode: z.enum(['sequential', 'parallel']).default('sequential'),
  })
  .describe('onnxruntime session options, the same for every variant so they compare fairly.');
export type RuntimeOptions = z.infer<typeof RuntimeOptions>;

export const TaskKind = z.enum(['classify', 'forward']);

export const Suite = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).describe('Suite name, shown in reports.'),
    task: TaskKind.describe('What the model does. classify: the first output holds class logits; the predicted class of each example is recorded. forward: one forward pass per iteration, outputs not interpreted.'),
    dataset: z.string().min(1).describe('JSON-lines file of examples, relative to the suite file. Each line: {"id": "...", "inputs": {"<input name>": nested array}}.'),
    warmup: z.number().int().min(0).max(100_000).default(10).describe('Untimed iterations before measuring; their latencies are kept apart.'),
    iterations: z.number().int().min(1).max(1_000_000).default(100).describe('Timed iterations per device x variant; examples are used in turn.'),
    timeoutSeconds: z.number().positive().max(86_400).default(600).describe('A cell that runs longer is stopped and recorded as failed.'),
    runtime: RuntimeOptions.default({ graphOptimizationLevel: 'all', executionMode: 'sequential' }),
    devices: z.array(z.string()).min(1).optional().describe('Device ids to run on; all devices in devices.yaml when omitted.'),
    variants: z.array(VariantSpec).min(1, 'a suite needs at least one variant'),
  })
  .superRefine((suite, ctx) => {
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
