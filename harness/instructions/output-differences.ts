import type { ExampleOutput, RunnerEvent } from '../core/runner-protocol.ts';

/**
 * Outputs of the callgrind process that differ from the native process's, named:
 * under valgrind's Haswell-class CPU onnxruntime may run other kernels (AVX2 int8
 * saturates on full-range weights), and then the count describes those kernels.
 */
export function outputDifferences(native: readonly RunnerEvent[], counted: readonly RunnerEvent[]): string[] {
  const outputsOf = (events: readonly RunnerEvent[]) => new Map(events.flatMap((e) => (e.type === 'output' ? [[e.exampleId, e.output] as const] : [])));
  const before = outputsOf(native);
  const differing = [...outputsOf(counted)].flatMap(([id, output]) => {
    const reference = before.get(id);
    const difference = reference ? differenceOf(reference, output) : undefined;
    return difference ? [`example ${id}: ${difference}`] : [];
  });
  if (differing.length === 0) return [];
  return [
    `outputs under callgrind differ from the native run (${differing.join('; ')}): onnxruntime ran other kernels on valgrind's Haswell-class CPU, so the count describes those kernels`,
  ];
}

function differenceOf(native: ExampleOutput, counted: ExampleOutput): string | undefined {
  const largest = (a: readonly number[], b: readonly number[]) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - (b[i] ?? Number.NaN))), 0);
  if (native.kind === 'classify' && counted.kind === 'classify') {
    if (native.classIndex !== counted.classIndex) return `class ${native.classIndex} natively, ${counted.classIndex} under callgrind`;
    const diff = largest(native.logits, counted.logits);
    return diff > 0 || native.logits.length !== counted.logits.length ? `logits differ by up to ${diff.toPrecision(3)}` : undefined;
  }
  if (native.kind === 'generate' && counted.kind === 'generate') {
    if (native.tokenIds.join() !== counted.tokenIds.join()) return 'generated tokens differ';
    const diff = largest(native.firstTokenLogits, counted.firstTokenLogits);
    return diff > 0 ? `first-token logits differ by up to ${diff.toPrecision(3)}` : undefined;
  }
  if (native.kind === 'embed' && counted.kind === 'embed') {
    const diff = largest(native.vector, counted.vector);
    return diff > 0 || native.vector.length !== counted.vector.length ? `embedding differs by up to ${diff.toPrecision(3)}` : undefined;
  }
  return 'the output kinds differ';
}
