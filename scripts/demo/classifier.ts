import { floatTensor, model, node, tensorValue } from '../../harness/onnx/build.ts';
import { onnx, type OnnxTypes } from '../../harness/onnx/proto.ts';
import { gaussian, seededRandom } from './random.ts';

export interface ClassifierShape {
  vocabularySize: number;
  embeddingSize: number;
  hiddenSize: number;
  hiddenLayers: number;
  classes: number;
  /** Seeds the initial weights (and, when training, the example order). */
  seed: number;
}

export interface DenseLayer {
  /** [inputs, outputs] row-major: the B operand of MatMul. */
  weight: Float32Array;
  bias: Float32Array;
}

export interface ClassifierWeights {
  /** [vocabularySize, embeddingSize] row-major: one row per token id. */
  embedding: Float32Array;
  /** hiddenLayers ReLU layers, then the layer that produces the logits. */
  layers: DenseLayer[];
}

/** [inputs, outputs] of every dense layer, in graph order. */
export function layerSizes(shape: ClassifierShape): [number, number][] {
  const sizes: [number, number][] = [];
  let width = shape.embeddingSize;
  for (let layer = 0; layer < shape.hiddenLayers; layer++) {
    sizes.push([width, shape.hiddenSize]);
    width = shape.hiddenSize;
  }
  sizes.push([width, shape.classes]);
  return sizes;
}

/** Seeded He-initialised weights with zero biases: the same seed always gives the same model. */
export function randomWeights(shape: ClassifierShape): ClassifierWeights {
  const normal = gaussian(seededRandom(shape.seed));
  const heNormal = (rows: number, cols: number) => {
    const scale = Math.sqrt(2 / rows);
    return Float32Array.from({ length: rows * cols }, () => normal() * scale);
  };
  return {
    embedding: heNormal(shape.vocabularySize, shape.embeddingSize),
    layers: layerSizes(shape).map(([inputs, outputs]) => ({ weight: heNormal(inputs, outputs), bias: new Float32Array(outputs) })),
  };
}

/**
 * Token embedding -> mean over the sequence -> MLP -> class logits.
 * input_ids: int64 [batch, sequence]; logits: float32 [batch, classes].
 * Without trained weights the model gets seeded random ones, so it is still deterministic.
 */
export function buildClassifier(shape: ClassifierShape, weights: ClassifierWeights = randomWeights(shape)): OnnxTypes.ModelProto {
  checkWeights(shape, weights);
  const initializer: OnnxTypes.TensorProto[] = [floatTensor('embedding', [shape.vocabularySize, shape.embeddingSize], weights.embedding)];
  const nodes: OnnxTypes.NodeProto[] = [
    node('Gather', ['embedding', 'input_ids'], ['token_vectors'], { axis: 0 }),
    node('ReduceMean', ['token_vectors'], ['pooled'], { axes: [1], keepdims: 0 }),
  ];
  let previous = 'pooled';
  layerSizes(shape).forEach(([inputs, outputs], layer) => {
    const last = layer === shape.hiddenLayers;
    const name = last ? 'classifier' : `hidden${layer}`;
    initializer.push(floatTensor(`${name}.weight`, [inputs, outputs], weights.layers[layer]!.weight));
    initializer.push(floatTensor(`${name}.bias`, [outputs], weights.layers[layer]!.bias));
    nodes.push(node('MatMul', [previous, `${name}.weight`], [`${name}.matmul`]));
    nodes.push(node('Add', [`${name}.matmul`, `${name}.bias`], [last ? 'logits' : `${name}.linear`]));
    if (!last) nodes.push(node('Relu', [`${name}.linear`], [`${name}.out`]));
    previous = `${name}.out`;
  });
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

function checkWeights(shape: ClassifierShape, weights: ClassifierWeights): void {
  const expect = (what: string, actual: number, expected: number) => {
    if (actual !== expected)
      throw new RangeError(`classifier weights: ${what} has ${actual} values but the shape needs ${expected}; train with the same shape you build with`);
  };
  expect('embedding', weights.embedding.length, shape.vocabularySize * shape.embeddingSize);
  const sizes = layerSizes(shape);
  expect('layers', weights.layers.length, sizes.length);
  sizes.forEach(([inputs, outputs], layer) => {
    expect(`layers[${layer}].weight`, weights.layers[layer]!.weight.length, inputs * outputs);
    expect(`layers[${layer}].bias`, weights.layers[layer]!.bias.length, outputs);
  });
}
