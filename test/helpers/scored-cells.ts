import { measured } from '../../harness/core/metric.ts';
import type { CellResult } from '../../harness/core/results.ts';
import type { ExampleOutput } from '../../harness/core/runner-protocol.ts';
import type { Dataset } from '../../harness/plan/dataset.ts';

/** A successful cell with the given per-example outputs (example ids e0, e1, ...) and answers. */
export function outputCell(variant: string, outputs: { output: ExampleOutput; answer?: string }[], deviceId = 'host'): CellResult {
  const metric = measured(1, 'ms', 'test');
  return {
    deviceId,
    variant: {
      name: variant,
      precision: variant === 'fp32' ? 'fp32' : 'int8',
      file: `${variant}.onnx`,
      files: [{ path: 'm.onnx', bytes: 1, sha256: 'x' }],
      diskBytes: 1,
      sha256: variant,
    },
    status: 'ok',
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    warmupLatenciesMs: [],
    samples: [],
    outputs: outputs.map((o, i) => ({ exampleId: `e${i}`, output: o.output, ...(o.answer !== undefined ? { answer: o.answer } : {}) })),
    metrics: {
      latencyMs: { source: 'unavailable', unit: 'ms', reason: 'test' },
      loadMs: metric,
      peakRssBytes: metric,
      rssBeforeLoadBytes: metric,
      modelRssBytes: metric,
      diskBytes: metric,
    },
  };
}

/** A classify cell whose answer per example is the label of its largest logit. */
export function classifyCell(variant: string, labels: readonly string[], logits: number[][], deviceId = 'host'): CellResult {
  return outputCell(
    variant,
    logits.map((row) => {
      const classIndex = row.indexOf(Math.max(...row));
      return { output: { kind: 'classify', classIndex, logits: row }, answer: labels[classIndex]! };
    }),
    deviceId,
  );
}

/** A dataset of lines e0, e1, ... with the given fields. */
export function datasetOf(lines: { text?: string; fields?: Record<string, unknown> }[]): Dataset {
  return {
    file: 'data.jsonl',
    sha256: 'x',
    examples: lines.map((line, i) => ({ id: `e${i}`, line: i + 1, ...(line.text !== undefined ? { text: line.text } : {}), fields: line.fields ?? {} })),
  };
}
