import { dirname, relative, resolve } from 'node:path';
import type { DeviceSpec } from '../config/device-spec.ts';
import { ConfigError, ConfigErrors } from '../config/errors.ts';
import { loadDevices } from '../config/load-devices.ts';
import { loadSuite } from '../config/load-suite.ts';
import type { Suite } from '../config/suite.ts';
import { ModelFileError } from '../onnx/model-file.ts';
import type { RunnerExample } from '../runner/protocol.ts';
import { loadDataset, type Dataset } from './dataset.ts';
import { resolveVariant, type ResolvedVariant } from './resolve-variant.ts';
import { planTask, type TaskPlan } from './task-plan.ts';

export interface PlannedVariant extends ResolvedVariant {
  examples: RunnerExample[];
}

export interface RunPlan {
  suite: Suite;
  suiteFile: string;
  devicesFile: string;
  devices: DeviceSpec[];
  dataset: Dataset;
  variants: PlannedVariant[];
  task: TaskPlan;
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
  try {
    suite = loadSuite(options.suiteFile);
  } catch (error) {
    collect(error);
  }
  try {
    allDevices = loadDevices(options.devicesFile).devices;
  } catch (error) {
    collect(error);
  }
  if (!suite) throw new ConfigErrors(errors);

  const suiteDir = dirname(options.suiteFile);
  const devices = selectDevices(allDevices, suite, options, errors);
  const variants: ResolvedVariant[] = [];
  await Promise.all(
    suite.variants.map(async (spec, index) => {
      try {
        const resolved = await resolveVariant(spec, suiteDir, { suiteFile: options.suiteFile, field: `variants[${index}]` });
        if (spec.sha256 && spec.sha256 !== resolved.variant.sha256) {
          errors.push(new ConfigError(options.suiteFile, `variants[${index}].sha256`, `variant "${spec.name}" does not match its pinned hash: expected ${spec.sha256}, found ${resolved.variant.sha256}`, `the model files changed; restore them, or set sha256 to ${resolved.variant.sha256} if the change is intended`));
        }
        variants[index] = resolved;
      } catch (error) {
        if (error instanceof ConfigError) return void errors.push(error);
        if (!(error instanceof ModelFileError)) throw error;
        errors.push(new ConfigError(options.suiteFile, `variants[${index}].${spec.manifest ? 'manifest' : 'file'}`, `${relative(process.cwd(), error.file) || error.file}: ${error.message}`, fixForModelError(error)));
      }
    }),
  );

  let dataset: Dataset | undefined;
  try {
    dataset = await loadDataset(resolve(suiteDir, suite.dataset), `${options.suiteFile}`);
  } catch (error) {
    collect(error);
  }
  if (errors.length > 0 || !dataset) throw new ConfigErrors(errors);

  let task: TaskPlan;
  try {
    task = planTask(suite, options.suiteFile, variants, dataset);
  } catch (error) {
    collect(error);
    throw new ConfigErrors(errors);
  }
  const baselineAnswers = suite.baseline?.provider === 'recorded' ? recordedAnswers(dataset, suite.baseline.field, errors) : undefined;
  const datasetFile = relative(process.cwd(), dataset.file);
  const planned: PlannedVariant[] = [];
  for (const variant of variants) {
    try {
      planned.push({ ...variant, examples: dataset.examples.map((example) => ({ id: example.id, feeds: task.feeds(example, variant, datasetFile) })) });
    } catch (error) {
      collect(error);
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return { suite, suiteFile: options.suiteFile, devicesFile: options.devicesFile, devices, dataset, variants: planned, task, ...(baselineAnswers ? { baselineAnswers } : {}) };
}

/** The recorded provider: every line must carry the cloud model's answer. */
function recordedAnswers(dataset: Dataset, field: string, errors: ConfigError[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const example of dataset.examples) {
    const answer = example.fields[field];
    if (typeof answer === 'string') answers.set(example.id, answer);
    else errors.push(new ConfigError(`${relative(process.cwd(), dataset.file)}:${example.line}`, field, `the recorded baseline needs a string "${field}" on every line`, `add the cloud model's answer as "${field}", or choose another baseline provider`));
  }
  return answers;
}

function selectDevices(all: DeviceSpec[], suite: Suite, options: { suiteFile: string; devicesFile: string; deviceIds?: string[] }, errors: ConfigError[]): DeviceSpec[] {
  if (all.length === 0) return [];
  const known = all.map((d) => d.id);
  const pick = (ids: string[], where: string, field: string) => {
    for (const id of ids) {
      if (!known.includes(id)) errors.push(new ConfigError(where, field, `no device with id "${id}" in ${options.devicesFile}`, `use one of: ${known.join(', ')}`));
    }
    return all.filter((d) => ids.includes(d.id));
  };
  let devices = suite.devices ? pick(suite.devices, options.suiteFile, 'devices') : all;
  if (options.deviceIds) devices = pick(options.deviceIds, 'command line', '--device').filter((d) => devices.includes(d));
  return devices;
}

function fixForModelError(error: ModelFileError): string {
  switch (error.code) {
    case 'MODEL_NOT_FOUND':
      return 'check the path (it is relative to the suite file), or build the model first (npm run build:demo-models for the demo)';
    case 'EXTERNAL_DATA_MISSING':
      return 'copy the external data file next to the .onnx file; both belong to the variant';
    case 'EXTERNAL_DATA_TRUNCATED':
    case 'MODEL_CORRUPT':
      return 'the file is incomplete or damaged; copy or export it again';
    case 'MODEL_UNREADABLE':
      return 'check the file permissions';
  }
}
