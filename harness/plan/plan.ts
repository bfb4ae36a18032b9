import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { DeviceSpec } from '../core/device-spec.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { loadDevices } from '../config/load-devices.ts';
import { DEFAULT_SCHEDULING, type Scheduling } from '../core/scheduling.ts';
import { loadSuite } from '../config/load-suite.ts';
import type { Suite } from '../core/suite.ts';
import { ModelFileError } from '../onnx/model-file.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { declareSecretEnv } from '../secrets/secret-env.ts';
import { driverFor } from '../devices/registry.ts';
import { loadDataset, workloadOnlyDataset, type Dataset, type Example } from './dataset.ts';
import type { CellResult } from '../core/results.ts';
import { loadCorpus } from './corpus.ts';
import { resolveVariant, type ResolvedVariant } from './resolve-variant.ts';
import { readPublicKeys, verifyBundle } from '../integrity/bundle-signature.ts';
import type { TaskPlan } from '../tasks/task.ts';
import { planTask } from './task-plan.ts';
import { cellRuntimes } from './cell-runtimes.ts';
import { withModelFolder } from './model-folder-variants.ts';
import type { RuntimeName } from '../core/runtime.ts';

export interface PlannedVariant extends ResolvedVariant {
  examples: RunnerExample[];
  /** The runtime each device runs this variant on, by device id (runtimes/choose-runtime.ts). */
  runtimes: Record<string, RuntimeName>;
  /**
   * Why this variant cannot run (its model file is missing, truncated, not ONNX, lacks external data, or does
   * not match its pinned hash): each of its cells fails with this error, and the other variants run.
   */
  problem?: { code: string; message: string };
  /** Metrics its cells take from the model rather than from a run (TaskPlan.modelMetrics). */
  modelMetrics?: Partial<CellResult['metrics']>;
  /** The only devices it has cells on (the suite's `variants[].devices`); every device of the run when absent (variant-devices.ts). */
  devices?: string[];
}

export interface RunPlan {
  suite: Suite;
  suiteFile: string;
  devicesFile: string;
  /** Devices chosen on the command line (--device), which a resumed run chooses again. */
  deviceIds?: string[];
  devices: DeviceSpec[];
  /** devices.yaml's scheduling: how devices share this machine. */
  scheduling: Scheduling;
  dataset: Dataset;
  variants: PlannedVariant[];
  task: TaskPlan;
  /** Problems that do not stop a run, for validate and run to print: a model file whose name its graph contradicts. */
  warnings: string[];
  /** recorded (and, once fetched, openai-compatible) baseline answers by example id. */
  baselineAnswers?: Map<string, string>;
}

/**
 * Everything that can be checked without a device is checked here: config
 * files, model files (present, complete, hash as pinned), and that every
 * dataset line fits every variant's inputs. All problems are reported together.
 */
export async function buildPlan(options: { suiteFile: string; devicesFile: string; deviceIds?: string[] }): Promise<RunPlan> {
  const errors: ConfigError[] = [];
  const collect = (error: unknown) => {
    if (error instanceof ConfigErrors) errors.push(...error.errors);
    else if (error instanceof ConfigError) errors.push(error);
    else throw error;
  };

  let suite: Suite | undefined;
  let allDevices: DeviceSpec[] = [];
  let scheduling = DEFAULT_SCHEDULING;
  try {
    suite = loadSuite(options.suiteFile);
  } catch (error) {
    collect(error);
  }
  try {
    const inventory = loadDevices(options.devicesFile);
    allDevices = inventory.devices;
    scheduling = inventory.scheduling ?? DEFAULT_SCHEDULING;
  } catch (error) {
    collect(error);
  }
  let warnings: string[] = [];
  if (suite?.model !== undefined) {
    try {
      ({ suite, warnings } = await withModelFolder(suite, options.suiteFile));
    } catch (error) {
      collect(error);
      suite = undefined;
    }
  }
  if (!suite) throw new ConfigErrors(errors);

  const suiteDir = dirname(options.suiteFile);
  const devices = selectDevices(allDevices, suite, options, errors);
  const runtimes = cellRuntimes(suite, options.suiteFile, devices, errors);
  const variants: ResolvedVariant[] = [];
  const broken = new Map<number, { code: string; message: string }>();
  await Promise.all(
    suite.variants.map(async (spec, index) => {
      try {
        const resolved = await resolveVariant(spec, suiteDir, { suiteFile: options.suiteFile, field: `variants[${index}]` });
        if (spec.sha256 && spec.sha256 !== resolved.variant.sha256) {
          const where = `${options.suiteFile}: variants[${index}].sha256`;
          broken.set(index, {
            code: 'HASH_MISMATCH',
            message: `${where}: variant "${spec.name}" does not match its pinned hash: expected ${spec.sha256}, found ${resolved.variant.sha256} (fix: the model files changed; restore them, or set sha256 to ${resolved.variant.sha256} if the change is intended)`,
          });
        }
        variants[index] = resolved;
      } catch (error) {
        if (error instanceof ConfigError) return void errors.push(error);
        if (!(error instanceof ModelFileError) || !spec.file) throw error;
        // A broken model is that variant's result, not the run's end: its cells fail with the reason, the rest run.
        const where = `${options.suiteFile}: variants[${index}].file`;
        broken.set(index, {
          code: error.code,
          message: `${where}: ${relative(process.cwd(), error.file) || error.file}: ${error.message} (fix: ${fixForModelError(error)})`,
        });
        variants[index] = await unusableVariant(spec, resolve(suiteDir, spec.file));
      }
    }),
  );

  await checkSignatures(suite, devices, variants, { ...options, allDevices }, errors);

  let dataset: Dataset | undefined;
  try {
    if (suite.dataset === undefined) dataset = workloadOnlyDataset(suite, options.suiteFile);
    else {
      const datasetFile = resolve(suiteDir, suite.dataset);
      dataset = suite.task === 'perplexity' ? await loadCorpus(datasetFile, options.suiteFile) : await loadDataset(datasetFile, options.suiteFile);
    }
  } catch (error) {
    collect(error);
  }
  if (errors.length > 0 || !dataset) throw new ConfigErrors(errors);

  let task: TaskPlan;
  try {
    task = await planTask(
      suite,
      options.suiteFile,
      variants.filter((_, index) => !broken.has(index)),
      dataset,
    );
    // A task that makes its own examples (perplexity's windows) runs and records those.
    if (task.examples) dataset = { ...dataset, examples: task.examples.map((example) => ({ ...example, fields: {} }) as Example) };
  } catch (error) {
    collect(error);
    throw new ConfigErrors(errors);
  }
  const baselineAnswers = suite.baseline?.provider === 'recorded' ? recordedAnswers(dataset, suite.baseline.field, errors) : undefined;
  // Known before any device runs, so no runner process inherits them, whether or not the baseline is fetched in this process.
  if (suite.baseline?.provider === 'openai-compatible') [suite.baseline.baseUrlEnv, suite.baseline.apiKeyEnv].forEach(declareSecretEnv);
  for (const device of devices) driverFor(device).secretEnv?.(device).forEach(declareSecretEnv);
  const datasetFile = relative(process.cwd(), dataset.file);
  const planned: PlannedVariant[] = [];
  for (const [index, variant] of variants.entries()) {
    const only = suite.variants[index]?.devices;
    const devicesOf = only ? { devices: only } : {};
    const problem = broken.get(index);
    if (problem) {
      planned.push({ ...variant, examples: [], runtimes: runtimes.get(variant.variant.name) ?? {}, problem, ...devicesOf });
      continue;
    }
    try {
      planned.push({
        ...variant,
        ...devicesOf,
        examples: [
          ...dataset.examples.map((example) => ({ id: example.id, feeds: task.feeds(example, variant, datasetFile) })),
          ...(task.syntheticExamples?.(variant) ?? []),
        ],
        runtimes: runtimes.get(variant.variant.name) ?? {},
        ...(task.modelMetrics ? { modelMetrics: task.modelMetrics(variant) } : {}),
      });
    } catch (error) {
      collect(error);
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return {
    suite,
    suiteFile: options.suiteFile,
    devicesFile: options.devicesFile,
    ...(options.deviceIds ? { deviceIds: options.deviceIds } : {}),
    devices,
    scheduling,
    dataset,
    variants: planned,
    task,
    warnings,
    ...(baselineAnswers ? { baselineAnswers } : {}),
  };
}

/**
 * Signed bundles: with signatures in the suite, every variant's signature is
 * checked against the trusted keys and recorded on the variant; a variant
 * that fails is refused when the suite requires signatures, or when a device
 * it would run on does.
 */
async function checkSignatures(
  suite: Suite,
  devices: DeviceSpec[],
  variants: ResolvedVariant[],
  where: { suiteFile: string; devicesFile: string; allDevices: DeviceSpec[] },
  errors: ConfigError[],
): Promise<void> {
  const strict = devices.filter((d) => d.requireSignedModels);
  if (!suite.signatures) {
    for (const device of strict) {
      errors.push(
        new ConfigError(
          where.devicesFile,
          `devices[${where.allDevices.indexOf(device)}].requireSignedModels`,
          `device ${device.id} runs only signed models, and suite ${where.suiteFile} trusts no signing keys`,
          'add signatures.publicKeys to the suite, or run on another device',
        ),
      );
    }
    return;
  }
  let trusted: Awaited<ReturnType<typeof readPublicKeys>>;
  try {
    trusted = await readPublicKeys(suite.signatures.publicKeys.map((file) => resolve(dirname(where.suiteFile), file)));
  } catch (error) {
    if (error instanceof ConfigError)
      return void errors.push(new ConfigError(where.suiteFile, 'signatures.publicKeys', `${relative(process.cwd(), error.file)}: ${error.problem}`, error.fix));
    return void errors.push(
      new ConfigError(
        where.suiteFile,
        'signatures.publicKeys',
        (error as Error).message,
        'list PEM public keys made by edgebench keygen (paths relative to the suite file)',
      ),
    );
  }
  const required = suite.signatures.required || strict.length > 0;
  await Promise.all(
    variants.map(async (resolved, index) => {
      if (!resolved) return;
      const verified = await verifyBundle(resolved.modelPath, trusted);
      resolved.variant.signature = verified.ok ? { verified: true, keyId: verified.keyId } : { verified: false, reason: verified.reason };
      if (!verified.ok && required) {
        const by = suite.signatures!.required
          ? 'the suite requires signed models'
          : `device${strict.length > 1 ? 's' : ''} ${strict.map((d) => d.id).join(', ')} run${strict.length > 1 ? '' : 's'} only signed models`;
        errors.push(
          new ConfigError(
            where.suiteFile,
            `variants[${index}]`,
            `variant "${resolved.variant.name}" is refused (${by}): ${verified.reason}`,
            `sign it with a trusted key: edgebench sign ${relative(process.cwd(), resolved.modelPath)} --key <private key>`,
          ),
        );
      }
    }),
  );
}

/** A variant whose model cannot be read: what is on disk, with nothing inferred. */
async function unusableVariant(spec: Suite['variants'][number], modelPath: string): Promise<ResolvedVariant> {
  const bytes = await stat(modelPath).then(
    (s) => (s.isFile() ? s.size : 0),
    () => 0,
  );
  return {
    modelPath,
    model: { inputs: [], outputs: [], externalData: [], opsets: [], producer: '', nodeCount: 0 },
    variant: {
      name: spec.name,
      ...(spec.precision ? { precision: spec.precision } : {}),
      file: relative(process.cwd(), modelPath),
      files: [],
      diskBytes: bytes,
      sha256: 'unavailable',
    },
  };
}

/** The recorded provider: every line must carry the cloud model's answer. */
function recordedAnswers(dataset: Dataset, field: string, errors: ConfigError[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const example of dataset.examples) {
    const answer = example.fields[field];
    if (typeof answer === 'string') answers.set(example.id, answer);
    else
      errors.push(
        new ConfigError(
          `${relative(process.cwd(), dataset.file)}:${example.line}`,
          field,
          `the recorded baseline needs a string "${field}" on every line`,
          `add the cloud model's answer as "${field}", or choose another baseline provider`,
        ),
      );
  }
  return answers;
}

function selectDevices(
  all: DeviceSpec[],
  suite: Suite,
  options: { suiteFile: string; devicesFile: string; deviceIds?: string[] },
  errors: ConfigError[],
): DeviceSpec[] {
  if (all.length === 0) return [];
  const known = all.map((d) => d.id);
  const pick = (ids: string[], where: string, field: string) => {
    for (const id of ids) {
      if (!known.includes(id))
        errors.push(new ConfigError(where, field, `no device with id "${id}" in ${options.devicesFile}`, `use one of: ${known.join(', ')}`));
    }
    return all.filter((d) => ids.includes(d.id));
  };
  let devices = suite.devices ? pick(suite.devices, options.suiteFile, 'devices') : all;
  suite.variants.forEach((variant, index) => variant.devices && pick(variant.devices, options.suiteFile, `variants[${index}].devices`));
  // The command line picks from the whole inventory: a suite's list is its default, not a limit.
  if (options.deviceIds) devices = pick(options.deviceIds, 'command line', '--device');
  return devices;
}

function fixForModelError(error: ModelFileError): string {
  if (error.fix) return error.fix;
  switch (error.code) {
    case 'MODEL_NOT_FOUND':
      return 'check the path (it is relative to the suite file), or build the model first (npm run build:demo-models for the demo)';
    case 'EXTERNAL_DATA_MISSING':
      return 'copy the external data file next to the .onnx file; both belong to the variant';
    case 'EXTERNAL_DATA_OUTSIDE':
      return "keep the external data files in the model's folder";
    case 'EXTERNAL_DATA_TRUNCATED':
    case 'MODEL_CORRUPT':
      return 'the file is incomplete or damaged; copy or export it again';
    case 'MODEL_NOT_A_FILE':
      return 'name the .onnx file itself: a regular file, or a symlink to one';
    case 'MODEL_UNREADABLE':
      return 'check the file permissions';
  }
}
