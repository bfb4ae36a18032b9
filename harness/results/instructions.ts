import { INSTRUCTIONS_LABEL, type InstructionsMetric } from '../core/instructions-metric.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import { median } from '../stats/percentile.ts';

type InstructionsEvent = Extract<RunnerEvent, { type: 'instructions' }>;

/**
 * A cell's instructions per inference (per token for generate): each counting process's median over its timed
 * iterations, then the median over processes. The median, not the mean: onnxruntime's telemetry fires on wall-clock
 * time and adds about 117K instructions to whichever inference it lands in.
 * Absent unless counting was asked for (or a process counted).
 */
export function instructionsMetric(events: (InstructionsEvent | undefined)[], failure: string, requested: boolean): InstructionsMetric | undefined {
  if (!requested && events.every((e) => e === undefined)) return undefined;
  const unavailable = (reason: string): InstructionsMetric => ({ source: 'unavailable', unit: 'count', reason });
  if (failure) return unavailable(failure);
  const missing = events.findIndex((e) => e === undefined);
  if (missing >= 0)
    return unavailable(
      `runner process ${missing + 1} counted no instructions: only local and emulated devices run a runner under callgrind (edgebench run --instructions)`,
    );
  const reason = events.find((e) => e!.unavailable !== undefined)?.unavailable;
  if (reason !== undefined) return unavailable(reason);
  const counted = events as InstructionsEvent[];
  if (counted.some((e) => !e.perIteration?.length)) return unavailable('a counting process reported no timed iteration');
  const perToken = counted.some((e) => e.tokens);
  const perProcess = counted.map((e) => median(e.perIteration!.map((count, i) => (perToken ? count / Math.max(1, e.tokens?.[i] ?? 1) : count))));
  const iterations = counted[0]!.perIteration!.length;
  const warnings = [...new Set(counted.flatMap((e) => e.warnings ?? []))];
  return {
    source: 'measured',
    value: median(perProcess),
    unit: 'count',
    per: perToken ? 'token' : 'inference',
    method: `callgrind: instructions inside libonnxruntime.so while InferenceSessionWrap::Run runs, one dump per timed iteration${perToken ? ' divided by the session runs it made (prefill and decode steps)' : ''}; median over ${iterations} iteration(s) per process, median over ${counted.length} process(es) (node --hash-seed=1 --random-seed=1 --single-threaded, one intra-op thread)`,
    label: INSTRUCTIONS_LABEL,
    perProcess,
    ...(warnings.length ? { warnings } : {}),
  };
}
