import { INSTRUCTIONS_LABEL, type InstructionsMetric } from '../core/instructions-metric.ts';
import type { RunnerEvent } from '../core/runner-protocol.ts';
import { median } from '../stats/percentile.ts';

type InstructionsEvent = Extract<RunnerEvent, { type: 'instructions' }>;

/**
 * A cell's instructions per inference (per token for generate). Inside onnxruntime's Run, outside its graph executor,
 * housekeeping that fires on wall-clock time adds about 117K instructions to the inferences it lands in: under
 * callgrind about one in ten on the demo classifier and up to 3 of 5 on a 5M-instruction chain with both cores busy,
 * so neither a mean nor a median over 5 iterations is exact. It only ever adds, so each example's count is the fewest
 * any run of it took, in any of the cell's processes; the cell's value is the median of those over its examples.
 * Each process's own value (perProcess, which shows how far processes agree) is the same over its runs alone.
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
  const perIteration = counted.map((e) => e.perIteration!.map((count, i) => (perToken ? count / Math.max(1, e.tokens?.[i] ?? 1) : count)));
  // Without example ids (journals written before they were recorded), iteration i ran the same example in every process.
  const exampleOf = (p: number, i: number) => counted[p]!.exampleIds?.[i] ?? `#${i}`;
  const fewestPerExample = (processes: number[]) => {
    const fewest = new Map<string, number>();
    for (const p of processes) perIteration[p]!.forEach((count, i) => fewest.set(exampleOf(p, i), Math.min(count, fewest.get(exampleOf(p, i)) ?? Infinity)));
    return median([...fewest.values()]);
  };
  const perProcess = counted.map((_, p) => fewestPerExample([p]));
  const iterations = counted[0]!.perIteration!.length;
  const warnings = [...new Set(counted.flatMap((e) => e.warnings ?? []))];
  return {
    source: 'measured',
    value: fewestPerExample(counted.map((_, p) => p)),
    unit: 'count',
    per: perToken ? 'token' : 'inference',
    method: `callgrind: instructions inside libonnxruntime.so while InferenceSessionWrap::Run runs, one dump per timed iteration${perToken ? ' divided by the session runs it made (prefill and decode steps)' : ''}; per example the fewest over its runs in ${counted.length} process(es) of ${iterations} iteration(s) (housekeeping on wall-clock time in Run adds about 117K to some runs, never removes any), median over examples (node --hash-seed=1 --random-seed=1 --single-threaded, one intra-op thread)`,
    label: INSTRUCTIONS_LABEL,
    perProcess,
    perIteration,
    ...(warnings.length ? { warnings } : {}),
  };
}
