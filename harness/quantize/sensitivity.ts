import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerSensitivity, SensitivityReport } from '../core/quantize-sensitivity.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { measureKld, type KldSet } from './kld-measurement.ts';
import { loadEditableModel } from './model-graph.ts';
import { quantizeModel, resolveModelInput, type QuantizeOptions } from './quantize.ts';
import { findMatMulTargets, gemmToMatMul, layerPattern, matchesAny } from './targets.ts';

/** The MatMul (and Gemm) layers a quantization would touch, one per layer name, in graph order; `--exclude`d ones left out. */
export async function quantizableLayers(input: string, exclude: readonly string[] = []): Promise<{ layer: string; weight: string }[]> {
  const { graph } = await loadEditableModel(resolveModelInput(input));
  gemmToMatMul(graph);
  const patterns = exclude.map(layerPattern);
  const layers = new Map<string, string>();
  for (const target of findMatMulTargets(graph)) if (!matchesAny(target, patterns) && !layers.has(target.layer)) layers.set(target.layer, target.weight.name);
  return [...layers].map(([layer, weight]) => ({ layer, weight }));
}

/**
 * Quantizes one layer at a time at `options.to` (every other layer and the embedding tables kept float32) and
 * measures the mean KL divergence it adds to the next-token distributions of `set`; the layers come back ranked,
 * most KL first. Layer names are passed as `--exclude` patterns, which treat only `*` as special.
 */
export async function rankLayers(
  options: QuantizeOptions,
  set: KldSet,
  scratch: string,
  onLayer: (result: LayerSensitivity, index: number, count: number) => void = () => {},
): Promise<LayerSensitivity[]> {
  const layers = await quantizableLayers(options.input, options.exclude);
  const results: LayerSensitivity[] = [];
  for (const [index, { layer, weight }] of layers.entries()) {
    const output = join(scratch, `layer-${index}.onnx`);
    const others = layers.filter((l) => l.layer !== layer).map((l) => l.layer);
    const { outputFile, manifestFile } = await quantizeModel({ ...options, output, embeddings: 'float', exclude: [...(options.exclude ?? []), ...others] });
    const { kld, top1 } = await measureKld(outputFile, set);
    await Promise.all([outputFile, `${outputFile}.data`, manifestFile].map((f) => rm(f, { force: true })));
    const result = { layer, weight, kld, top1 };
    results.push(result);
    onLayer(result, index, layers.length);
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
