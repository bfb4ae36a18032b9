import type { RunSchedule } from './run-schedule.ts';
import { etaMs, type DeviceLoad } from './eta.ts';

/** Per device: processes finished out of planned, what runs now, and the run's ETA; what both progress displays show. */
export class ProgressTracker {
  private readonly planned = new Map<string, number>();
  private readonly finished = new Map<string, number[]>();
  private readonly running = new Map<string, { label: string; since: number }>();

  constructor(
    private readonly schedule: RunSchedule,
    private readonly clock: () => number = () => performance.now(),
  ) {
    for (const id of schedule.processes) this.planned.set(id, (this.planned.get(id) ?? 0) + 1);
  }

  get deviceIds(): string[] {
    return [...this.planned.keys()];
  }

  started(deviceId: string, label: string): void {
    this.running.set(deviceId, { label, since: this.clock() });
  }

  finishedOne(deviceId: string): void {
    const run = this.running.get(deviceId);
    if (run) this.finished.set(deviceId, [...(this.finished.get(deviceId) ?? []), this.clock() - run.since]);
    this.running.delete(deviceId);
  }

  /** A cell that failed is not run again: its remaining repeats leave the plan. */
  dropped(deviceId: string, processes: number): void {
    this.planned.set(deviceId, Math.max(this.doneOf(deviceId), (this.planned.get(deviceId) ?? 0) - processes));
  }

  doneOf(deviceId: string): number {
    return this.finished.get(deviceId)?.length ?? 0;
  }

  plannedOf(deviceId: string): number {
    return this.planned.get(deviceId) ?? 0;
  }

  runningOn(deviceId: string): string | undefined {
    return this.running.get(deviceId)?.label;
  }

  get done(): number {
    return this.deviceIds.reduce((sum, id) => sum + this.doneOf(id), 0);
  }

  get total(): number {
    return this.deviceIds.reduce((sum, id) => sum + this.plannedOf(id), 0);
  }

  etaMs(): number | undefined {
    const loads: DeviceLoad[] = this.deviceIds.map((deviceId) => {
      const times = this.finished.get(deviceId) ?? [];
      return {
        deviceId,
        remaining: this.plannedOf(deviceId) - times.length,
        ...(times.length ? { meanMs: times.reduce((a, b) => a + b, 0) / times.length } : {}),
      };
    });
    return etaMs(loads, this.schedule.resourcesOf, this.schedule.capacity);
  }
}
