import type { DeviceSpec } from '../core/device-spec.ts';
import type { CellResult, Results } from '../core/results.ts';
import type { PlannedVariant, RunPlan } from '../plan/plan.ts';
import { driverFor } from '../devices/registry.ts';
import { runsOn } from '../plan/variant-devices.ts';
import { cellResult, type RunnerRun } from '../results/cell-result.ts';
import { answerReader } from './answer-reader.ts';
import { repeatStop, type RepeatPolicy } from './repeat-stop.ts';

const cellKey = (device: DeviceSpec, variant: PlannedVariant) => `${device.id}\u0000${variant.variant.name}`;

/**
 * The cells measured so far, each rebuilt from all its runner processes whenever one is added, and kept in
 * `results.cells` in the plan's device x variant order, whatever order their processes ran in. Each cell says
 * how many processes it needed and why it stopped adding them (repeat-stop.ts).
 */
export class MeasuredCells {
  private readonly runsOf = new Map<string, RunnerRun[]>();
  private readonly cells = new Map<string, CellResult>();
  private readonly order: string[];

  constructor(
    private readonly plan: RunPlan,
    private readonly results: Results,
    private readonly policy: RepeatPolicy,
  ) {
    this.order = plan.devices.flatMap((device) => plan.variants.filter((variant) => runsOn(variant, device.id)).map((variant) => cellKey(device, variant)));
  }

  /** The cell as its runner processes so far measured it; `runs` replaces what it held. */
  measure(device: DeviceSpec, variant: PlannedVariant, runs: RunnerRun[]): CellResult {
    const key = cellKey(device, variant);
    this.runsOf.set(key, runs);
    const cell = cellResult({
      deviceId: device.id,
      variant: variant.variant,
      runs,
      timeoutMs: this.plan.suite.timeoutSeconds * 1000,
      answerOf: answerReader(this.plan),
      ...(this.plan.task.spec.kind === 'generate' && this.plan.task.spec.workload ? { workload: this.plan.task.spec.workload } : {}),
      ...(variant.modelMetrics ? { modelMetrics: variant.modelMetrics } : {}),
      countInstructions: this.plan.suite.measure.includes('instructions'),
    });
    cell.repeatStop = repeatStop(cell, this.policy, driverFor(device).latency);
    this.cells.set(key, cell);
    this.results.cells = this.order.flatMap((k) => this.cells.get(k) ?? []);
    return cell;
  }

  /** Adds one runner process to its cell. */
  add(device: DeviceSpec, variant: PlannedVariant, run: RunnerRun): CellResult {
    return this.measure(device, variant, [...(this.runsOf.get(cellKey(device, variant)) ?? []), run]);
  }

  failed(device: DeviceSpec, variant: PlannedVariant): boolean {
    return this.cells.get(cellKey(device, variant))?.status === 'failed';
  }

  /** The cell needs no more processes: its p50 is as precise as the run asked, or its device's latencies are emulated. */
  settled(device: DeviceSpec, variant: PlannedVariant): boolean {
    const reason = this.cells.get(cellKey(device, variant))?.repeatStop?.reason;
    return reason === 'precise' || reason === 'emulated';
  }
}
