import type { SchedulingRecord } from '../core/results.ts';

/** How a run shares the machine, told to progress displays before the first process (for an ETA). */
export interface RunSchedule {
  /** The device id of every runner process still to run. */
  processes: string[];
  scheduling: Pick<SchedulingRecord, 'policy' | 'note' | 'shared'>;
  resourcesOf(deviceId: string): readonly string[];
  capacity(resource: string): number;
}
