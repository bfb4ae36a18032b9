import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeModel } from '../onnx/build.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { onnx } from '../onnx/proto.ts';
import { hashModelFiles } from '../onnx/model-files.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { TOOL_VERSION } from '../version.ts';
import { calibrateRanges, type CalibrationMethod } from './calibrate.ts';
import { manifestPathFor, writeManifest, type VariantManifest } from './manifest.ts';
import { loadEditableModel } from './model-graph.ts';
import { rewriteEmbeddings, type EmbeddingRewrite } from './rewrite-embeddings.ts';
import { captureInputs } from './capture-inputs.ts';
import { activationMagnitudes, awqInt4Blocks } from './awq.ts';
import { gramMatrix } from './gptq.ts';
import { sequentialGptq } from './sequential-gptq.ts';
import { rewriteInt4, roundToNearest, MS_DOMAIN, type Int4Quantizer } from './rewrite-int4.ts';
import { rewriteInt8, type Int8Method } from './rewrite-int8.ts';
import {
  dropUnreadInitializers,
  findGatherTargets,
  findMatMulTargets,
  gemmToMatMul,
  layerPattern,
  matchesAny,
  type GatherTarget,
  weightKey,
  type MatMulTarget,
} from './targets.ts';
import { convertToFloat16 } from './to-float16.ts';
import type { OnnxTypes } from '../onnx/proto.ts';
import type { KldBudgetRecord } from '../core/quantize-sensitivity.ts';
import type { Int4Algorithm } from '../core/quantization-settings.ts';

export type { Int4Algorithm };

/**
 * Measured on the demo models with onnxruntime 1.30 on x86-64 (scripts/bench-quantize.ts):
 * dynamic (MatMulInteger) ran faster than weight-only QDQ, so it is the default.
 */
export const DEFAULT_INT8_METHOD: Exclude<Int8Method, 'static'> = 'dynamic';

export interface QuantizeOptions {
  /** An .onnx file, or a Hugging Face / transformers.js folder (onnx/model.onnx). */
  input: string;
  output?: string;
  /** int8, int4 (MatMulNBits), fp16 (weights and compute), q4f16 (int4 with float16 scales and activations). */
  to: QuantizeTarget;
  int8Method?: Int8Method;
  /** fp16 and q4f16: keep float32 graph inputs and outputs (Casts at the edges). Default false, as transformers.js's files. */
  keepIoTypes?: boolean;
  /**
   * Embedding tables (Gather over a constant): 'same' bits as the MatMuls (default), 'int8' tables in an
   * int4 model (and its tied head at 8 bits), or 'float' to leave them alone.
   */
  embeddings?: EmbeddingMode;
  /** Static int8: examples to calibrate on, and where they came from. */
  calibration?: { method: CalibrationMethod; percentile?: number; examples: RunnerExample[]; dataset: string; datasetSha256: string };
  blockSize?: 32 | 64 | 128;
  /**
   * int4 embedding tables (and heads tied to them): values per block along the hidden dimension; default blockSize.
   * Tables have no calibration Hessian to compensate with, so smaller blocks are their cheapest accuracy.
   */
  embeddingBlockSize?: 16 | 32 | 64 | 128;
  /** MatMulNBits accuracy_level; 4 (int8 compute) ran 2.9x faster than 0 on the demo classifier here. */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  symmetric?: boolean;
  /** int4: how codes are chosen; gptq, gptaq and awq need `int4Calibration`. Default rtn (round to nearest). */
  algorithm?: Int4Algorithm;
  /**
   * gptq, gptaq and awq: examples whose MatMul inputs give each layer's Hessian (gptq) or channel magnitudes and output
   * error (awq): a suite's dataset, or token sequences of a corpus.
   */
  int4Calibration?: { examples: RunnerExample[]; source: string; sha256: string };
  /** Layer name patterns kept in float. */
  exclude?: string[];
  /** int4 only: layer name patterns quantized to int8 instead (e.g. the output head). */
  keepInt8?: string[];
  /** Recorded in the manifest: the `--budget-kld` search that chose the keepInt8 / exclude layers. */
  kldBudget?: KldBudgetRecord;
}

import { QuantizeError } from './quantize-error.ts';

export { QuantizeError };

export type QuantizeTarget = 'int8' | 'int4' | 'fp16' | 'q4f16';
export type EmbeddingMode = 'same' | 'int8' | 'float';

/** transformers.js's file names for each precision: model.onnx -> model_quantized.onnx, model_q4.onnx, ... */
export const OUTPUT_SUFFIX = { int8: '_quantized', int4: '_q4', fp16: '_fp16', q4f16: '_q4f16' } as const satisfies Record<QuantizeTarget, string>;

export function defaultOutputPath(modelFile: string, to: QuantizeTarget): string {
  const stem = basename(modelFile).replace(/\.onnx$/, '');
  return join(dirname(modelFile), `${stem}${OUTPUT_SUFFIX[to]}.onnx`);
}

/**
 * Tables every reader of which is being quantized: Gathers, and Transposes read only by selected heads.
 * A table something else also reads stays float (quantizing it would leave a float copy beside the quantized one).
 */
function quantizableTables(graph: OnnxTypes.GraphProto, gathers: GatherTarget[], heads: MatMulTarget[]): Set<string> {
  const gatherNodes = new Set(gathers.map((g) => g.node));
  const headNodes = new Set(heads.filter((h) => h.transposed).map((h) => h.node));
  const readersOf = (tensor: string) => graph.node.filter((n) => (n.input ?? []).includes(tensor));
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const tables = new Set<string>();
  for (const table of new Set(gathers.map((g) => g.table.name))) {
    const ok = readersOf(table).every(
      (n) =>
        gatherNodes.has(n) ||
        (n.opType === 'Transpose' && !graphOutputs.has(n.output![0]) && readersOf(n.output![0]!).every((reader) => headNodes.has(reader))),
    );
    if (ok && !graphOutputs.has(table)) tables.add(table);
  }
  return tables;
}

/** The .onnx file behind an input path: itself, or onnx/model.onnx (or model.onnx) in a model folder. */
export function resolveModelInput(input: string): string {
  if (existsSync(input) && statSync(input).isDirectory()) {
    for (const candidate of [join(input, 'onnx', 'model.onnx'), join(input, 'model.onnx')]) if (existsSync(candidate)) return candidate;
    throw new QuantizeError(`${input} is a folder with neither onnx/model.onnx nor model.onnx`, 'pass the fp32 .onnx file itself');
  }
  return input;
}

export async function quantizeModel(options: QuantizeOptions): Promise<{ outputFile: string; manifestFile: string; manifest: VariantManifest }> {
  const inputFile = resolveModelInput(options.input);
  const outputFile = options.output ?? defaultOutputPath(inputFile, options.to);
  const sourceInspection = await inspectModel(inputFile).catch((error: Error) => {
    throw new QuantizeError(`${inputFile}: ${error.message}`, 'pass a readable, complete fp32 .onnx file');
  });
  const sourcePaths = [resolve(inputFile), ...sourceInspection.externalData.map((e) => resolve(dirname(inputFile), e.location))];
  const outputPaths = [resolve(outputFile), resolve(`${outputFile}.data`), resolve(manifestPathFor(outputFile))];
  if (outputPaths.some((p) => sourcePaths.includes(p))) {
    throw new QuantizeError(`the output ${outputFile} would overwrite the input model or its data`, 'choose another --output path');
  }

  const source = await hashModelFiles(inputFile, sourceInspection);
  const model = await loadEditableModel(inputFile, sourceInspection);
  const { graph } = model;
  gemmToMatMul(graph);
  // GPTAQ matches the float model's layer outputs: it runs this copy beside the one being rewritten.
  const floatModel = options.algorithm === 'gptaq' ? onnx.ModelProto.decode(onnx.ModelProto.encode(model.proto).finish()) : undefined;
  const all = findMatMulTargets(graph);
  const quantizing = options.to !== 'fp16';
  const exclude = (options.exclude ?? []).map(layerPattern);
  const keepInt8 = (options.keepInt8 ?? []).map(layerPattern);
  const selected = quantizing ? all.filter((t) => !matchesAny(t, exclude)) : [];
  const candidateGathers = quantizing && options.embeddings !== 'float' ? findGatherTargets(graph).filter((g) => !matchesAny(g, exclude)) : [];
  if (quantizing && all.length === 0 && candidateGathers.length === 0) {
    throw new QuantizeError(
      `${inputFile} has no quantizable weights: no MatMul or Gemm reads a constant 2-D float32 weight, and no Gather a constant table`,
      'quantize a float32 model with constant MatMul/Gemm weights (a model that is already quantized has none left)',
    );
  }
  const tables = quantizableTables(graph, candidateGathers, selected);
  const gathers = candidateGathers.filter((g) => tables.has(g.table.name));
  const tiedHeads = selected.filter((t) => t.transposed && tables.has(t.weight.name));
  const untied = selected.filter((t) => !tiedHeads.includes(t));
  const int4Like = options.to === 'int4' || options.to === 'q4f16';
  const int8Targets = options.to === 'int8' ? untied : int4Like ? untied.filter((t) => matchesAny(t, keepInt8)) : [];
  const int4Targets = int4Like ? untied.filter((t) => !matchesAny(t, keepInt8)) : [];
  if (quantizing && selected.length === 0 && gathers.length === 0)
    throw new QuantizeError(`every quantizable layer of ${inputFile} is excluded`, 'narrow the --exclude patterns');
  if (options.to === 'q4f16' && int8Targets.length > 0)
    throw new QuantizeError('q4f16 keeps no layers at int8 (int8 activations are float32 in onnxruntime)', 'drop --keep-int8, or use --to int4');

  const int8Method = options.int8Method ?? DEFAULT_INT8_METHOD;
  if (int4Like && int8Method === 'static')
    throw new QuantizeError('layers kept at int8 in an int4 model use dynamic or qdq int8', 'drop --method static, or use --to int8');
  if (int8Method !== 'dynamic' && int8Targets.length > 0) requireOpset(model.proto, 13, `--method ${int8Method} (per-channel DequantizeLinear)`);
  if (int8Method === 'static' && !options.calibration)
    throw new QuantizeError('static int8 needs a calibration set', 'pass --calibrate <suite.yaml> (its dataset is used)');

  const ranges =
    int8Method === 'static' && options.calibration
      ? await calibrateRanges(
          model.proto,
          [...new Set(int8Targets.map((t) => t.input))],
          options.calibration.examples,
          options.calibration.method,
          options.calibration.percentile,
        )
      : undefined;
  if (int8Targets.length > 0) rewriteInt8(graph, int8Targets, int8Method, ranges);
  const blockSize = options.blockSize ?? 32;
  const symmetric = options.symmetric ?? true;
  const accuracyLevel = options.accuracyLevel ?? 4;
  // 8-bit tables with 128-wide blocks: the int8 file stays near a quarter of fp32 (1 + 4/128 bytes per weight).
  const embeddingBits = options.to === 'int8' || options.embeddings === 'int8' ? 8 : 4;
  const algorithm = options.algorithm ?? 'rtn';
  // --keep-int8 reaches tables too (with their tied heads): --budget-kld moves an int4 embedding to int8 that way.
  const int8Tables = new Set(int4Like ? gathers.filter((g) => matchesAny(g, keepInt8)).map((g) => g.table.name) : []);
  const tableBits = (table: string) => (int8Tables.has(table) ? 8 : embeddingBits);
  const embedded: EmbeddingRewrite = { embeddings: [], tiedHeads: [] };
  for (const bits of new Set(gathers.map((g) => tableBits(g.table.name)))) {
    const rewrite = rewriteEmbeddings(
      graph,
      gathers.filter((g) => tableBits(g.table.name) === bits),
      tiedHeads.filter((h) => tableBits(h.weight.name) === bits),
      // Tables have no calibration Hessian; the calibrated algorithms still give their int4 blocks the error-minimising scale.
      { bits, blockSize: bits === 8 ? 128 : (options.embeddingBlockSize ?? blockSize), accuracyLevel, searchScales: algorithm !== 'rtn' },
    );
    embedded.embeddings.push(...rewrite.embeddings);
    embedded.tiedHeads.push(...rewrite.tiedHeads);
  }
  const int4 = int4Targets.length > 0 ? await int4Quantizer(model.proto, int4Targets, algorithm, options, floatModel) : undefined;
  if (int4) rewriteInt4(graph, int4Targets, { blockSize, symmetric, accuracyLevel }, int4.quantizer);
  if ((int4Targets.length > 0 || embedded.embeddings.length > 0) && !model.proto.opsetImport.some((o) => o.domain === MS_DOMAIN))
    model.proto.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: MS_DOMAIN, version: 1 }));
  dropUnreadInitializers(graph);
  const keepIoTypes = options.keepIoTypes ?? false;
  if (options.to === 'fp16' || options.to === 'q4f16') convertToFloat16(model.proto, { keepIoTypes });
  model.proto.producerName = 'edgebench';
  model.proto.producerVersion = TOOL_VERSION;

  await writeModel(outputFile, model.proto, model.hadExternalData ? { minBytes: 1024 } : undefined);
  await checkLoads(outputFile);
  const written = await hashModelFiles(outputFile, await inspectModel(outputFile));
  const manifestFile = manifestPathFor(outputFile);
  const manifest: VariantManifest = {
    schemaVersion: 1,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    model: basename(outputFile),
    precision: options.to === 'int4' && int8Targets.length > 0 ? 'mixed' : options.to,
    files: written.files,
    diskBytes: written.diskBytes,
    sha256: written.sha256,
    source: { model: relative(dirname(outputFile), inputFile), sha256: source.sha256, diskBytes: source.diskBytes },
    quantization:
      options.to === 'fp16'
        ? { to: 'fp16', keepIoTypes }
        : options.to === 'int8'
          ? {
              to: 'int8',
              method: int8Method,
              weights: 'per-channel symmetric int8 (scale = max|w| / 127 per output column)',
              ...(options.calibration && int8Method === 'static'
                ? {
                    calibration: {
                      method: options.calibration.method,
                      ...(options.calibration.method === 'percentile' ? { percentile: options.calibration.percentile ?? 99.99 } : {}),
                      dataset: options.calibration.dataset,
                      datasetSha256: options.calibration.datasetSha256,
                      examples: options.calibration.examples.length,
                    },
                  }
                : {}),
            }
          : ({
              to: options.to,
              operator: 'com.microsoft MatMulNBits',
              blockSize,
              ...(options.embeddingBlockSize && embedded.embeddings.length > 0 ? { embeddingBlockSize: options.embeddingBlockSize } : {}),
              symmetric,
              accuracyLevel,
              int8Method: int8Method as 'dynamic' | 'qdq',
              keepInt8: options.keepInt8 ?? [],
              ...(options.to === 'q4f16' ? { keepIoTypes } : {}),
              ...(algorithm !== 'rtn' && options.int4Calibration
                ? {
                    algorithm,
                    calibration: {
                      source: options.int4Calibration.source,
                      sha256: options.int4Calibration.sha256,
                      examples: options.int4Calibration.examples.length,
                    },
                  }
                : {}),
              ...(int4?.awqAlphas ? { awqAlphas: Object.fromEntries(int4Targets.map((t) => [t.layer, int4.awqAlphas!.get(weightKey(t))!])) } : {}),
            } as VariantManifest['quantization']),
    exclude: options.exclude ?? [],
    layers: {
      int8: int8Targets.map((t) => t.layer),
      int4: int4Targets.map((t) => t.layer),
      keptFloat: all.filter((t) => !quantizing || matchesAny(t, exclude)).map((t) => t.layer),
      embeddings: embedded.embeddings,
      tiedHeads: embedded.tiedHeads,
    },
    ...(options.kldBudget ? { kldBudget: options.kldBudget } : {}),
  };
  await writeManifest(manifestFile, manifest);
  return { outputFile, manifestFile, manifest };
}

/**
 * Round-to-nearest; GPTQ layer by layer with each layer's Hessian from the partially quantized model's activations
 * on the calibration examples (GPTAQ: matched to `floatModel` as well); or AWQ with each input's channel magnitudes
 * and Gram matrix from the float model's. For AWQ, the alpha chosen per weight.
 */
async function int4Quantizer(
  proto: OnnxTypes.ModelProto,
  targets: MatMulTarget[],
  algorithm: Int4Algorithm,
  options: QuantizeOptions,
  floatModel?: OnnxTypes.ModelProto,
): Promise<{ quantizer: Int4Quantizer; awqAlphas?: Map<string, number> }> {
  if (algorithm === 'rtn') return { quantizer: roundToNearest };
  if (!options.int4Calibration)
    throw new QuantizeError(
      `--algorithm ${algorithm} needs calibration activations`,
      'pass --calibrate <suite.yaml> (its dataset is run through the fp32 model)',
    );
  if (algorithm === 'gptq' || algorithm === 'gptaq') {
    const blocks = await sequentialGptq(proto, targets, options.int4Calibration.examples, {
      blockSize: options.blockSize ?? 32,
      symmetric: options.symmetric ?? true,
      ...(algorithm === 'gptaq' ? { matchFloat: floatModel } : {}),
    });
    return { quantizer: (target) => blocks.get(weightKey(target))! };
  }
  const inputs = [...new Set(targets.map((t) => t.input))];
  const captured = await captureInputs(proto, inputs, options.int4Calibration.examples);
  const grams = new Map<string, Float64Array>();
  const gramOf = (target: MatMulTarget) => {
    let h = grams.get(target.input);
    if (!h) {
      h = gramMatrix(captured.get(target.input)!, target.k);
      grams.set(target.input, h);
    }
    return h;
  };
  switch (algorithm) {
    case 'awq': {
      const magnitudes = new Map<string, Float64Array>();
      const awqAlphas = new Map<string, number>();
      const quantizer: Int4Quantizer = (target, weight, blockOptions) => {
        let a = magnitudes.get(target.input);
        if (!a) {
          a = activationMagnitudes(captured.get(target.input)!, target.k);
          magnitudes.set(target.input, a);
        }
        const layer = awqInt4Blocks(weight, target.k, target.n, blockOptions, a, gramOf(target));
        awqAlphas.set(weightKey(target), layer.alpha);
        return { ...layer.blocks, ...(layer.inputMultiplier ? { inputMultiplier: layer.inputMultiplier } : {}) };
      };
      return { quantizer, awqAlphas };
    }
    default:
      throw new Error(`unknown int4 algorithm ${algorithm satisfies never}`);
  }
}

function requireOpset(proto: { opsetImport: { domain?: string | null; version?: unknown }[] }, minimum: number, what: string): void {
  const version = Number(proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (version < minimum)
    throw new QuantizeError(
      `${what} needs ONNX opset ${minimum} or newer; the model uses opset ${version}`,
      'use --method dynamic, or re-export the model with a newer opset',
    );
}

/** A variant that onnxruntime cannot load is not written off as done. */
async function checkLoads(file: string): Promise<void> {
  try {
    const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
    await session.release();
  } catch (error) {
    throw new QuantizeError(
      `the quantized model ${file} does not load in onnxruntime: ${(error as Error).message}`,
      'report this model; try --method dynamic or --exclude the layer named in the error',
    );
  }
}
