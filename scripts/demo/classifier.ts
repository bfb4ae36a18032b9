import { floatTensor, model, node, tensorValue } from '../../harness/onnx/build.ts';
import { onnx, type OnnxTypes } from '../../harness/onnx/proto.ts';
import { gaussian, seededRandom } from './random.ts';

export interface ClassifierShape {
  vocabularySize: number;
  embeddingSize: number;
  hiddenSize: number;
  hiddenLayers: number;
  classes: number;
  seed: number;
}

/**
 * Token embedding -> mean over the sequence -> MLP -> class logits.
 * input_ids: int64 [batch, sequence]; logits: float32 [batch, classes].
 * Weights are seeded random (He initialisation), so the model is deterministic.
 */
export function buildClassifier(shape: ClassifierShape): OnnxTypes.ModelProto {
  const normal = gaussian(seededRandom(shape.seed));
  const weights = (rows: number, cols: number) => {
    const scale = Math.sqrt(2 / rows);
    return Float32Array.from({ length: rows * cols }, () => normal() * scale);
  };
  const initializer: OnnxTypes.TensorProto[] = [
    floatTensor('embedding', [shape.vocabularySize, shape.embeddingSize], weights(shape.vocabularySize, shape.embeddingSize)),
  ];
  const nodes: OnnxTypes.NodeProto[] = [
    node('Gather', ['embedding', 'input_ids'], ['token_vectors'], { axis: 0 }),
    node('ReduceMean', ['token_vectors'], ['pooled'], { axes: [1], keepdims: 0 }),
  ];
  let previous = 'pooled';
  let width = shape.embeddingSize;
  for (let layer = 0; layer <= shape.hiddenLayers; layer++) {
    const last = layer === shape.hiddenLayers;
    const out = last ? shape.classes : shape.hiddenSize;
    const name = last ? 'classifier' : `hidden${layer}`;
    initializer.push(floatTensor(`${name}.weight`, [width, out], weights(width, out)));
    initializer.push(floatTensor(`${name}.bias`, [out], new Float32Array(out)));
    nodes.push(node('MatMul', [previous, `${name}.weight`], [`${name}.matmul`]));
    nodes.push(node('Add', [`${name}.matmul`, `${name}.bias`], [last ? 'logits' : `${name}.linear`]));
    if (!last) nodes.push(node('Relu', [`${name}.linear`], [`${name}.out`]));
    previous = `${name}.out`;
    width = out;
  }
  return model(
    {
      name: 'demo-intent-classifier',
      node: nodes,
      initializer,
      input: [tensorValue('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'sequence'])],
      output: [tensorValue('logits', onnx.TensorProto.DataType.FLOAT, ['batch', shape.classes])],
    },
    [{ version: 17 }],
  );
}
