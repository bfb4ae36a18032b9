import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerSensitivity, SensitivityReport } from '../core/quantize-sensitivity.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { measureKld, type KldSet } from './kld-measurement.ts';
import { loadEditableModel } from './model-graph.ts';
import { quantizeModel, resolveModelInput, type QuantizeOptions } from './quantize.ts';
import { findGatherTargets, findMatMulTargets, gemmToMatMul, layerPattern, matchesAny } from './targets.ts';

/** A unit the ranking quantizes alone: a MatMul (or Gemm) layer, or an embedding Gather with the heads tied to its table. */
export type RankedUnit = Pick<LayerSensitivity, 'layer' | 'weight' | 'kind'>;

/**
 * The layers a quantization would touch, one per layer name, in graph order: MatMul layers, then embedding
 * Gathers (unless `--embeddings float`); `--exclude`d ones left out.
 */
export async function quantizableLayers(options: Pick<QuantizeOptions, 'input' | 'exclude' | 'embeddings'>): Promise<RankedUnit[]> {
  const { graph } = await loadEditableModel(resolveModelInput(options.input));
  gemmToMatMul(graph);
  const patterns = (options.exclude ?? []).map(layerPattern);
  const units = new Map<string, RankedUnit>();
  for (const t of findMatMulTargets(graph))
    if (!matchesAny(t, patterns) && !units.has(t.layer)) units.set(t.layer, { layer: t.layer, weight: t.weight.name, kind: 'matmul' });
  if (options.embeddings !== 'float')
    for (const g of findGatherTargets(graph))
      if (!matchesAny(g, patterns) && !units.has(g.layer)) units.set(g.layer, { layer: g.layer, weight: g.table.name, kind: 'embedding' });
  return [...units.values()];
}

/**
 * Quantizes one layer at a time at `options.to`, every other layer kept float32, and measures the mean KL
 * divergence it adds to the next-token distributions of `set`; the layers come back ranked, most KL first.
 * A MatMul is quantized with the embedding tables float; an embedding table at the bits `--embeddings` gives it,
 * with any head tied to it (the two share one quantized copy). Layer names are passed as `--exclude` patterns,
 * which treat only `*` as special.
 */
export async function rankLayers(
  options: QuantizeOptions,
  set: KldSet,
  scratch: string,
  onLayer: (result: LayerSensitivity, index: number, count: number) => void = () => {},
): Promise<LayerSensitivity[]> {
  const units = await quantizableLayers(options);
  const results: LayerSensitivity[] = [];
  for (const [index, unit] of units.entries()) {
    const output = join(scratch, `layer-${index}.onnx`);
    // A head reading the table through a Transpose has the table as its weight: it goes with the embedding.
    const others = units.filter((u) => u.layer !== unit.layer && !(unit.kind === 'embedding' && u.weight === unit.weight)).map((u) => u.layer);
    const { outputFile, manifestFile } = await quantizeModel({
      ...options,
      output,
      ...(unit.kind === 'matmul' ? { embeddings: 'float' as const } : {}),
      exclude: [...(options.exclude ?? []), ...others],
    });
    const { kld, top1 } = await measureKld(outputFile, set);
    await Promise.all([outputFile, `${outputFile}.data`, manifestFile].map((f) => rm(f, { force: true })));
    const result = { ...unit, kld, top1 };
    results.push(result);
    onLayer(result, index, units.length);
  }
  return results.sort((a, b) => b.kld - a.kld);
}

/** `model_q4.onnx` -> `model_q4.sensitivity.json`. */
export function sensitivityPathFor(modelFile: string): string {
  return modelFile.replace(/\.onnx$/, '') + '.sensitivity.json';
}

export async function writeSensitivity(file: string, report: SensitivityReport): Promise<void> {
  await atomicWrite(file, `${JSON.stringify(report, null, 2)}\n`);
}
