import { relative } from 'node:path';
import type { DeviceSpec } from '../core/device-spec.ts';
import { EXAMPLE_INPUT_CHARS, RESULTS_SCHEMA_VERSION, type Results } from '../core/results.ts';
import { driverFor } from '../devices/registry.ts';
import { promptText } from '../plan/dataset.ts';
import type { RunPlan } from '../plan/plan.ts';
import type { Shard } from '../plan/shard.ts';
import { TOOL_VERSION } from '../version.ts';
import type { DevicesToRun } from './devices-to-run.ts';
import type { RepeatPolicy } from './repeat-stop.ts';

/**
 * A run's results before its first cell: the suite as run, every device this run is responsible for (its facts,
 * or why it was skipped), the shard and A/B settings, and the dataset's examples.
 */
export async function resultsHeader(
  fullPlan: RunPlan,
  { plan, listed, skipped }: DevicesToRun,
  run: { runId: string; startedAt: string; repeats: number; policy: RepeatPolicy; ab?: Omit<NonNullable<Results['ab']>, 'sequential'>; shard?: Shard },
): Promise<Results> {
  const { suite } = plan;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    runId: run.runId,
    status: 'running',
    startedAt: run.startedAt,
    suite: {
      name: suite.name,
      file: relative(process.cwd(), plan.suiteFile),
      task: suite.task,
      warmup: suite.warmup,
      iterations: suite.iterations,
      repeats: run.repeats,
      adaptiveRepeats: { enabled: run.policy.enabled, minRepeats: run.policy.minRepeats, precision: run.policy.precision },
      timeoutSeconds: suite.timeoutSeconds,
      runtime: suite.runtime,
      dataset: { file: relative(process.cwd(), plan.dataset.file), sha256: plan.dataset.sha256, examples: plan.dataset.examples.length },
      budgets: suite.budgets,
      compare: suite.compare,
      ...(suite.gate ? { gate: suite.gate } : {}),
    },
    devices: await Promise.all(
      listed.map(async (device) =>
        skipped.has(device.id)
          ? { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}), skipped: skipped.get(device.id)! }
          : deviceRecord(device),
      ),
    ),
    ...(run.shard ? { shard: { ...run.shard, devices: fullPlan.devices.map((d) => d.id) } } : {}),
    ...(run.ab ? { ab: run.ab } : {}),
    examples: exampleRecords(plan),
    cells: [],
  };
}

function exampleRecords(plan: RunPlan): NonNullable<Results['examples']> {
  const cut = (text: string) => (text.length > EXAMPLE_INPUT_CHARS ? `${text.slice(0, EXAMPLE_INPUT_CHARS - 1)}…` : text);
  return plan.dataset.examples.map((example) => {
    const label = example.fields.label;
    const baseline = plan.baselineAnswers?.get(example.id);
    return {
      id: example.id,
      input: cut(promptText(example) ?? JSON.stringify(example.inputs ?? {})),
      ...(typeof label === 'string' ? { label } : {}),
      ...(baseline !== undefined ? { baseline } : {}),
    };
  });
}

async function deviceRecord(device: DeviceSpec): Promise<Results['devices'][number]> {
  const base = { id: device.id, kind: device.kind, ...(device.class ? { class: device.class } : {}) };
  try {
    return { ...base, facts: await driverFor(device).facts(device) };
  } catch (error) {
    return { ...base, factsError: (error as Error).message };
  }
}
