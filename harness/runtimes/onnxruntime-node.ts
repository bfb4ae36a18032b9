import * as ort from 'onnxruntime-node';
import type { RuntimeOptions } from '../core/runtime.ts';
import { commonSessionOptions, namedTypeError, onnxruntimeSession } from './onnxruntime-session.ts';
import type { Runtime } from './runtime.ts';
import type { Tensor } from './tensor.ts';

/** The native onnxruntime, in the Node.js runner: the runtime of local, emulated, qemu-arm64 and ssh devices. */
export const onnxruntimeNode: Runtime = {
  name: 'onnxruntime-node',
  // onnxruntime-node records its package version here when it loads.
  version: () => ort.env.versions.node ?? ort.env.versions.common,
  async load(model, options) {
    try {
      return onnxruntimeSession(ort, await ort.InferenceSession.create(model.location, nodeSessionOptions(options)));
    } catch (error) {
      throw namedTypeError(error);
    }
  },
};

function nodeSessionOptions(options: RuntimeOptions): ort.InferenceSession.SessionOptions {
  const { intraOpThreads, interOpThreads } = options;
  // onnxruntime-node rejects keys set to undefined: unset options are left out, so its defaults apply.
  return {
    ...commonSessionOptions(options),
    ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
    ...(interOpThreads !== undefined ? { interOpNumThreads: interOpThreads } : {}),
  };
}

/** A Tensor as an onnxruntime-node tensor, for code that drives onnxruntime itself (calibration). */
export function ortTensor(value: Tensor): ort.Tensor {
  return value instanceof ort.Tensor ? value : new ort.Tensor(value.type as ort.Tensor.Type, value.data as ort.Tensor.DataType, value.dims);
}
