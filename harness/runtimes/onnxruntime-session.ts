/**
 * What onnxruntime-node and onnxruntime-web share: both expose onnxruntime's
 * common JavaScript API (onnxruntime-common), so one adapter turns either into
 * a RuntimeSession. The package itself is passed in: this file imports only
 * types, so neither runner bundle pulls in the other's build.
 */
import type * as Ort from 'onnxruntime-common';
import type { RuntimeOptions } from '../core/runtime.ts';
import type { RuntimeSession, ValueDescription } from './runtime.ts';
import type { NamedTensors, Tensor } from './tensor.ts';

/** The parts of an onnxruntime package the adapter uses. */
export interface OnnxruntimeApi {
  Tensor: typeof Ort.Tensor;
}

/** Session options both builds understand; unset options are left out, so onnxruntime's defaults apply. */
export function commonSessionOptions(options: RuntimeOptions): Ort.InferenceSession.SessionOptions {
  return { graphOptimizationLevel: options.graphOptimizationLevel, executionMode: options.executionMode, logSeverityLevel: 3 };
}

export function onnxruntimeSession(ort: OnnxruntimeApi, session: Ort.InferenceSession): RuntimeSession {
  const own = (value: Tensor): Ort.Tensor =>
    value instanceof ort.Tensor ? value : new ort.Tensor(value.type as Ort.Tensor.Type, value.data as Ort.Tensor.DataType, value.dims);
  const convert = (feeds: NamedTensors): Record<string, Ort.Tensor> => {
    // Prepared feeds (the usual case inside a timed span) are passed on as they are, without a new object.
    for (const name in feeds)
      if (!(feeds[name] instanceof ort.Tensor)) return Object.fromEntries(Object.entries(feeds).map(([key, value]) => [key, own(value)]));
    return feeds as unknown as Record<string, Ort.Tensor>;
  };
  return {
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
    // onnxruntime's tensors have the fields of a Tensor (string tensors aside, which no task feeds).
    prepare: (feeds) => convert(feeds) as unknown as NamedTensors,
    // Outputs are handed on as they are: a KV cache goes back in without a copy.
    run: async (feeds) => (await session.run(convert(feeds))) as unknown as NamedTensors,
    release: () => session.release(),
  };
}

function describe(value: Ort.InferenceSession.ValueMetadata): ValueDescription {
  return value.isTensor ? { name: value.name, type: value.type, shape: value.shape } : { name: value.name, type: undefined, shape: undefined };
}

/** ONNX element types onnxruntime's JavaScript tensors lack, by their TensorProto.DataType number. */
const TYPES_WITHOUT_JS_TENSORS: Record<number, string> = {
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  23: 'float4e2m1',
};

/**
 * onnxruntime's JavaScript binding refuses a model whose inputs or outputs have a type it has no tensor for, naming
 * the type only by its number ("Unsupported data type: 16"): the error is reworded to name it.
 */
export function namedTypeError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const match = /unsupported data type: (\d+)/i.exec(message);
  const type = match ? TYPES_WITHOUT_JS_TENSORS[Number(match[1])] : undefined;
  if (!type) return error;
  return new Error(`${message} (${type}): the model has a ${type} input or output, and onnxruntime's JavaScript API has no ${type} tensors`);
}
