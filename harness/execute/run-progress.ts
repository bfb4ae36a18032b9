import type { DeviceSpec } from '../core/device-spec.ts';
import type { CellResult } from '../core/results.ts';
import type { PlannedVariant } from '../plan/plan.ts';
import type { RunSchedule } from '../schedule/run-schedule.ts';

/** Where a runner process stands in the run: its place among the processes started (devices run side by side), and which repeat of its cell it is. */
export interface RunPosition {
  index: number;
  total: number;
  repeat: number;
  repeats: number;
}

/** What a run tells whoever shows its progress; every callback is optional. */
export interface RunProgress {
  deviceSkipped?(device: DeviceSpec, reason: string): void;
  /** Before the first process: the device of every process still to run, and how devices share the machine (for an ETA). */
  scheduled?(schedule: RunSchedule): void;
  cellStarted?(device: DeviceSpec, variant: PlannedVariant, position: RunPosition): void;
  /** A process left out: its cell already failed (a failure is not run again), or its p50 is already as precise as the suite asks. */
  processSkipped?(device: DeviceSpec, variant: PlannedVariant, repeat: number): void;
  /** A runner process the device lost, about to be run again. */
  attemptLost?(device: DeviceSpec, variant: PlannedVariant, failure: { code: string; message: string }, retry: { attempt: number; retries: number }): void;
  /** After each runner process, with the cell as measured so far. */
  cellFinished?(cell: CellResult, position: RunPosition): void;
}
