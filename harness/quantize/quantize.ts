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
import { rewriteInt4, MS_DOMAIN } from './rewrite-int4.ts';
import { rewriteInt8, type Int8Method } from './rewrite-int8.ts';
import { dropUnreadInitializers, findMatMulTargets, gemmToMatMul, layerPattern, matchesAny } from './targets.ts';

/**
 * Measured on the demo models with onnxruntime 1.30 on x86-64 (scripts/bench-quantize.ts):
 * dynamic (MatMulInteger) ran faster than weight-only QDQ, so it is the default.
 */
export const DEFAULT_INT8_METHOD: Exclude<Int8Method, 'static'> = 'dynamic';

export interface QuantizeOptions {
  /** An .onnx file, or a Hugging Face / transformers.js folder (onnx/model.onnx). */
  input: string;
  output?: string;
  to: 'int8' | 'int4';
  int8Method?: Int8Method;
  /** Static int8: examples to calibrate on, and where they came from. */
  calibration?: { method: CalibrationMethod; percentile?: number; examples: RunnerExample[]; dataset: string; datasetSha256: string };
  blockSize?: 32 | 64 | 128;
  /** MatMulNBits accuracy_level; 4 (int8 compute) ran 2.9x faster than 0 on the demo classifier here. */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  symmetric?: boolean;
  /** Layer name patterns kept in float. */
  exclude?: string[];
  /** int4 only: layer name patterns quantized to int8 instead (e.g. the output head). */
  keepInt8?: string[];
}

import { QuantizeError } from './quantize-error.ts';

export { QuantizeError };

/** transformers.js names: model.onnx -> model_quantized.onnx (int8) and model_q4.onnx (int4). */
export function defaultOutputPath(modelFile: string, to: 'int8' | 'int4'): string {
  const stem = basename(modelFile).replace(/\.onnx$/, '');
  return join(dirname(modelFile), `${stem}${to === 'int8' ? '_quantized' : '_q4'}.onnx`);
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
  const all = findMatMulTargets(graph);
  if (all.length === 0) {
    throw new QuantizeError(
      `${inputFile} has no quantizable weights: no MatMul or Gemm reads a constant 2-D float32 weight`,
      'quantize a float32 model with constant MatMul/Gemm weights (a model that is already quantized has none left)',
    );
  }
  const exclude = (options.exclude ?? []).map(layerPattern);
  const keepInt8 = (options.keepInt8 ?? []).map(layerPattern);
  const selected = all.filter((t) => !matchesAny(t, exclude));
  const int8Targets = options.to === 'int8' ? selected : selected.filter((t) => matchesAny(t, keepInt8));
  const int4Targets = options.to === 'int4' ? selected.filter((t) => !matchesAny(t, keepInt8)) : [];
  if (selected.length === 0) throw new QuantizeError(`every quantizable layer of ${inputFile} is excluded`, 'narrow the --exclude patterns');

  const int8Method = options.int8Method ?? DEFAULT_INT8_METHOD;
  if (options.to === 'int4' && int8Method === 'static')
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
  if (int4Targets.length > 0) {
    rewriteInt4(graph, int4Targets, { blockSize, symmetric, accuracyLevel });
    if (!model.proto.opsetImport.some((o) => o.domain === MS_DOMAIN))
      model.proto.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: MS_DOMAIN, version: 1 }));
  }
  dropUnreadInitializers(graph);
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
    precision: options.to === 'int4' && int8Targets.length === 0 ? 'int4' : options.to === 'int4' ? 'mixed' : 'int8',
    files: written.files,
    diskBytes: written.diskBytes,
    sha256: written.sha256,
    source: { model: relative(dirname(outputFile), inputFile), sha256: source.sha256, diskBytes: source.diskBytes },
    quantization:
      options.to === 'int8'
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
        : {
            to: 'int4',
            operator: 'com.microsoft MatMulNBits',
            blockSize,
            symmetric,
            accuracyLevel,
            int8Method: int8Method as 'dynamic' | 'qdq',
            keepInt8: options.keepInt8 ?? [],
          },
    exclude: options.exclude ?? [],
    layers: {
      int8: int8Targets.map((t) => t.layer),
      int4: int4Targets.map((t) => t.layer),
      keptFloat: all.filter((t) => matchesAny(t, exclude)).map((t) => t.layer),
    },
  };
  await writeManifest(manifestFile, manifest);
  return { outputFile, manifestFile, manifest };
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
