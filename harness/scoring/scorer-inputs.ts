import type { ScorerInput } from '../core/quality.ts';
import type { CellResult } from '../core/results.ts';
import type { ExampleOutput } from '../core/runner-protocol.ts';
import type { Suite } from '../core/suite.ts';
import { promptText, type Dataset, type Example } from '../plan/dataset.ts';
import { fidelityReference } from './fidelity-reference.ts';
import type { ScorerInputValues } from './scorer.ts';
import type { ReferenceRecord } from '../stats/perplexity-statistics.ts';

export interface ScoringContext {
  suite: Suite;
  dataset: Dataset;
  /** recorded or openai-compatible answers by example id; absent for the reference provider. */
  baselineAnswers?: Map<string, string>;
  /** perplexity: the stored reference distributions the windows were scored against (TaskPlan.storedReference). */
  storedReference?: ReferenceRecord;
}

/** An input as gathered for one cell: its value, or in words why it is not there. */
export type Gathered<T> = { value: T } | { missing: string };

/** Everything an input is gathered from: the cell, the run's other cells, and the suite with its dataset. */
export interface GatherSource {
  cell: CellResult;
  cells: readonly CellResult[];
  context: ScoringContext;
  examples: ReadonlyMap<string, Example>;
  /** Another input of the same cell (gathered once, then reused). */
  input<K extends ScorerInput>(name: K): Gathered<ScorerInputValues[K]>;
}

type Gatherers = { [K in ScorerInput]: (source: GatherSource) => Gathered<ScorerInputValues[K]> };

const nonEmpty = <T extends { size: number }>(value: T, missing: string): Gathered<T> => (value.size > 0 ? { value } : { missing });

/** How each scorer input is read from a cell; one row per ScorerInput. */
export const GATHERERS = {
  answers: ({ cell }) =>
    nonEmpty(
      new Map(cell.outputs.flatMap((o) => (o.answer !== undefined ? [[o.exampleId, o.answer] as const] : []))),
      'the variant gave no text answer for any example',
    ),

  baselineAnswers: (source) => {
    const baseline = baselineOf(source);
    return baseline.answers ? nonEmpty(baseline.answers, 'the baseline gave no answer for any example') : { missing: baseline.reason! };
  },

  labels: ({ examples, input }) => {
    const baseline = input('baselineAnswers');
    const labels = new Map<string, string>();
    for (const [id, example] of examples) {
      const label = typeof example.fields.label === 'string' ? example.fields.label : 'value' in baseline ? baseline.value.get(id) : undefined;
      if (label !== undefined) labels.set(id, label);
    }
    return nonEmpty(labels, 'no dataset line has a "label" field and no baseline answer stands in for one');
  },

  inputTexts: ({ examples }) =>
    nonEmpty(
      new Map([...examples].flatMap(([id, e]) => (promptText(e) !== undefined ? [[id, promptText(e)!] as const] : []))),
      'no dataset line has a "text", "prompt" or "messages" field',
    ),

  outOfDomainSet: ({ context, input }) => {
    const abstain = context.suite.classification?.abstainLabels ?? [];
    if (abstain.length === 0) return { missing: 'the suite names no classification.abstainLabels' };
    const labels = input('labels');
    const ids = 'value' in labels ? [...labels.value].filter(([, label]) => abstain.includes(label)).map(([id]) => id) : [];
    return nonEmpty(new Set(ids), 'no example in the dataset is labelled out of scope');
  },

  referenceOutputs: ({ cell, cells, context }) => {
    const variant = fidelityReference(context.suite);
    if (!variant) return { missing: 'the suite has no fp32 variant and names no scoring.fidelityReference' };
    const reference = sameDevice(cell, cells, variant);
    if (!reference) return { missing: `the reference variant "${variant}" has no result on device ${cell.deviceId}` };
    return { value: { variant, outputs: new Map(reference.outputs.map((o) => [o.exampleId, o.output])) } };
  },

  logits: ({ cell }) =>
    nonEmpty(
      new Map(cell.outputs.flatMap((o) => (distributionOf(o.output) ? [[o.exampleId, distributionOf(o.output)!] as const] : []))),
      'the outputs carry no class or first-token logits (an embed task records vectors only)',
    ),

  storedReference: ({ context }) =>
    context.storedReference
      ? { value: context.storedReference }
      : { missing: 'the run has no stored reference distributions (only a perplexity run has them)' },
} as const satisfies Gatherers;

/** The distribution a confidence signal and fidelity are computed on. */
export function distributionOf(output: ExampleOutput): number[] | undefined {
  if (output.kind === 'classify') return output.logits;
  if (output.kind === 'generate') return output.firstTokenLogits;
  return undefined;
}

/** The same device's result for a variant, when it ran and succeeded. */
function sameDevice(cell: CellResult, cells: readonly CellResult[], variant: string): CellResult | undefined {
  const found = cells.find((c) => c.deviceId === cell.deviceId && c.variant.name === variant);
  return found?.status === 'ok' ? found : undefined;
}

/** Where this cell's baseline answers come from, in words for the report. */
export function baselineOf({ cell, cells, context }: Pick<GatherSource, 'cell' | 'cells' | 'context'>): {
  answers?: Map<string, string>;
  detail?: string;
  reason?: string;
} {
  const spec = context.suite.baseline;
  if (!spec) return { reason: 'the suite names no baseline' };
  if (spec.provider === 'reference') {
    if (cell.variant.name === spec.variant) return { detail: `variant ${spec.variant} (this variant)`, reason: 'this variant is the reference' };
    const reference = sameDevice(cell, cells, spec.variant);
    if (!reference) return { detail: `variant ${spec.variant}`, reason: `the reference variant "${spec.variant}" has no result on device ${cell.deviceId}` };
    return {
      answers: new Map(reference.outputs.flatMap((o) => (o.answer !== undefined ? [[o.exampleId, o.answer] as const] : []))),
      detail: `variant ${spec.variant} on ${cell.deviceId}`,
    };
  }
  const detail = spec.provider === 'recorded' ? `dataset field "${spec.field}"` : `${spec.model} (openai-compatible)`;
  return context.baselineAnswers ? { answers: context.baselineAnswers, detail } : { detail, reason: 'the baseline answers were not loaded' };
}

/** A cell's inputs, each gathered the first time a scorer asks for it. */
export function cellInputs(cell: CellResult, cells: readonly CellResult[], context: ScoringContext, examples: ReadonlyMap<string, Example>): GatherSource {
  const cache = new Map<ScorerInput, Gathered<unknown>>();
  const source: GatherSource = {
    cell,
    cells,
    context,
    examples,
    input<K extends ScorerInput>(name: K) {
      if (!cache.has(name)) cache.set(name, (GATHERERS[name] as (s: GatherSource) => Gathered<unknown>)(source));
      return cache.get(name) as Gathered<ScorerInputValues[K]>;
    },
  };
  return source;
}
