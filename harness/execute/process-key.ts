import type { ScheduledRun } from '../plan/schedule.ts';

/** One runner process of a run, by device id, variant name and repeat: how the journal and the schedule name the same process. */
export const processKey = (run: { device: string; variant: string; repeat: number }): string => `${run.device}\u0000${run.variant}\u0000${run.repeat}`;

export const scheduledKey = (run: ScheduledRun): string => processKey({ device: run.device.id, variant: run.variant.variant.name, repeat: run.repeat });
