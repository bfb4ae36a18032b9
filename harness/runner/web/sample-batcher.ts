import type { RunnerEvent } from '../../core/runner-protocol.ts';
import type { IterationResult } from '../../tasks/task.ts';

type SamplesEvent = Extract<RunnerEvent, { type: 'samples' }>;

/**
 * Collects per-iteration latencies into 'samples' events of consecutive
 * iterations. The page flushes whenever the driver pulls, so a batch is what
 * was measured between two pulls.
 */
export class SampleBatcher {
  private phase: SamplesEvent['phase'] = 'warmup';
  private batch: { firstIteration: number; exampleIds: string[]; latenciesMs: number[]; ttftMs: (number | null)[]; decodeMs: number[][] } | undefined;

  constructor(private readonly emit: (event: SamplesEvent) => void) {}

  start(phase: SamplesEvent['phase']): void {
    this.flush();
    this.phase = phase;
  }

  add(iteration: number, exampleId: string, result: IterationResult): void {
    this.batch ??= { firstIteration: iteration, exampleIds: [], latenciesMs: [], ttftMs: [], decodeMs: [] };
    this.batch.exampleIds.push(exampleId);
    this.batch.latenciesMs.push(result.latencyMs);
    if (result.ttftMs !== undefined || result.decodeMs !== undefined) {
      this.batch.ttftMs.push(result.ttftMs ?? null);
      this.batch.decodeMs.push(result.decodeMs ?? []);
    }
  }

  flush(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || batch.latenciesMs.length === 0) return;
    const { ttftMs, decodeMs, ...rest } = batch;
    this.emit({ type: 'samples', phase: this.phase, ...rest, ...(ttftMs.length ? { ttftMs, decodeMs } : {}) });
  }
}
