import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { model, node, tensorValue } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { START_MODEL_BASE64 } from '../../harness/runtimes/onnxruntime-web.ts';

describe("onnxruntime-web's start model", () => {
  const bytes = Buffer.from(START_MODEL_BASE64, 'base64');

  it('is one Identity over a float [1] at opset 13, byte for byte as harness/onnx/build.ts writes it', () => {
    const built = model({ name: 'start', node: [node('Identity', ['x'], ['y'])], input: [tensorValue('x', 1, [1])], output: [tensorValue('y', 1, [1])] }, [
      { version: 13 },
    ]);
    expect(bytes).toEqual(Buffer.from(onnx.ModelProto.encode(built).finish()));
  });

  it('is a model onnxruntime creates a session for and runs', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([2.5]), [1]) });
    expect(Array.from(y!.data as Float32Array)).toEqual([2.5]);
    await session.release();
  });
});
