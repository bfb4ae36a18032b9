import type { SchedulingRecord } from '../core/results.ts';

/** The processes a run has still to start and how its devices share the machine: what progress displays count and estimate the ETA from. */
export interface RunSchedule {
  /** The device id of every runner process still to run. */
  processes: string[];
  scheduling: Pick<SchedulingRecord, 'policy' | 'note' | 'shared'>;
  resourcesOf(deviceId: string): readonly string[];
  capacity(resource: string): number;
}
