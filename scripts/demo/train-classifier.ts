import { layerSizes, randomWeights, type ClassifierShape, type ClassifierWeights, type DenseLayer } from './classifier.ts';
import { seededRandom } from './random.ts';
import { argmax } from '../../harness/stats/argmax.ts';

/**
 * Trains the demo classifier (the graph buildClassifier writes) in plain TypeScript:
 * softmax cross-entropy, mini-batch Adam, seeded initial weights and example order.
 * The same inputs always give bit-identical weights, so the demo models are reproducible.
 */

export interface LabelledTokens {
  tokens: readonly number[];
  /** Class index: the position of the intent in LABELS. */
  label: number;
}

export interface TrainingOptions {
  /** shape.seed seeds the initial weights and the example order. */
  shape: ClassifierShape;
  train: readonly LabelledTokens[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

// Adam (Kingma & Ba, 2015) with its default decay rates; the bias correction is folded into
// the step size, as in the paper's Section 2.
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export function trainClassifier(options: TrainingOptions): ClassifierWeights {
  const { shape, train, batchSize } = options;
  checkOptions(options);
  const weights = randomWeights(shape);
  const network = new Network(shape, weights, batchSize);
  const gradients = zerosLike(weights);
  const parameters = flatten(weights);
  const flatGradients = flatten(gradients);
  const firstMoments = parameters.map((p) => new Float32Array(p.length));
  const secondMoments = parameters.map((p) => new Float32Array(p.length));
  const random = seededRandom(shape.seed ^ 0x5eed); // a stream apart from the one that drew the initial weights
  const order = train.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, random);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize).map((i) => train[i]!);
      network.forward(batch.map((e) => e.tokens));
      lossSum += network.backward(
        batch.map((e) => e.label),
        gradients,
      );
      step++;
      const stepSize = (options.learningRate * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
      for (let p = 0; p < parameters.length; p++) adamUpdate(parameters[p]!, flatGradients[p]!, firstMoments[p]!, secondMoments[p]!, stepSize);
    }
    options.onEpoch?.(epoch, lossSum / order.length);
  }
  return weights;
}

/** Logits of each sequence, [sequences, classes] row-major: the JS twin of the ONNX graph. */
export function classifierLogits(shape: ClassifierShape, weights: ClassifierWeights, sequences: readonly (readonly number[])[]): Float32Array {
  const chunk = 64;
  const network = new Network(shape, weights, chunk);
  const logits = new Float32Array(sequences.length * shape.classes);
  for (let start = 0; start < sequences.length; start += chunk) {
    logits.set(network.forward(sequences.slice(start, start + chunk)), start * shape.classes);
  }
  return logits;
}

/** Fraction of examples whose highest logit is their label. */
export function accuracy(shape: ClassifierShape, weights: ClassifierWeights, examples: readonly LabelledTokens[]): number {
  const logits = classifierLogits(
    shape,
    weights,
    examples.map((e) => e.tokens),
  );
  const correct = examples.filter((e, i) => argmax(logits.subarray(i * shape.classes, (i + 1) * shape.classes)) === e.label).length;
  return correct / examples.length;
}

function checkOptions({ shape, train, epochs, batchSize, learningRate }: TrainingOptions): void {
  const fail = (message: string) => {
    throw new RangeError(`trainClassifier: ${message}`);
  };
  if (train.length === 0) fail('train is empty; pass at least one labelled example');
  if (!Number.isInteger(epochs) || epochs < 0) fail(`epochs is ${epochs}; it must be a non-negative integer`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize is ${batchSize}; it must be a positive integer`);
  if (!(learningRate > 0)) fail(`learningRate is ${learningRate}; it must be positive`);
  for (const [i, example] of train.entries()) {
    if (example.tokens.length === 0) fail(`train[${i}] has no tokens; the mean over an empty sequence is undefined`);
    const outside = example.tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= shape.vocabularySize);
    if (outside !== undefined) fail(`train[${i}] has token id ${outside}; ids must be integers below vocabularySize (${shape.vocabularySize})`);
    if (!Number.isInteger(example.label) || example.label < 0 || example.label >= shape.classes)
      fail(`train[${i}].label is ${example.label}; it must be a class index below classes (${shape.classes})`);
  }
}

/** Forward and backward passes over mini-batches of up to maxRows sequences, with buffers allocated once. */
class Network {
  // Sizes go through `| 0`: a size read from a double array (say, parsed command-line numbers)
  // arrives as a heap number, and V8 then does every index computation in floating point (1.5x slower).
  private readonly sizes: [number, number][];
  private readonly width: number;
  private readonly classes: number;
  /** inputs[l]: the input of dense layer l, [rows, inputs]; inputs[0] is the pooled embedding. */
  private readonly inputs: Float32Array[];
  private readonly logits: Float32Array;
  /** outputGradient[l]: the loss gradient with respect to layer l's output (before its ReLU). */
  private readonly outputGradient: Float32Array[];
  private readonly pooledGradient: Float32Array;
  private sequences: readonly (readonly number[])[] = [];

  constructor(
    shape: ClassifierShape,
    private readonly weights: ClassifierWeights,
    maxRows: number,
  ) {
    this.sizes = layerSizes(shape).map(([inputs, outputs]) => [inputs | 0, outputs | 0]);
    this.width = shape.embeddingSize | 0;
    this.classes = shape.classes | 0;
    this.inputs = this.sizes.map(([inputs]) => new Float32Array(maxRows * inputs));
    this.logits = new Float32Array(maxRows * this.classes);
    this.outputGradient = this.sizes.map(([, outputs]) => new Float32Array(maxRows * outputs));
    this.pooledGradient = new Float32Array(maxRows * this.width);
  }

  /** Returns a view of the logits, [rows, classes], valid until the next call. */
  forward(sequences: readonly (readonly number[])[]): Float32Array {
    this.sequences = sequences;
    const rows = sequences.length;
    const width = this.width;
    const { embedding, layers } = this.weights;
    const pooled = this.inputs[0]!.fill(0, 0, rows * width);
    sequences.forEach((tokens, row) => {
      const out = row * width;
      for (const token of tokens) {
        const from = token * width;
        for (let k = 0; k < width; k++) pooled[out + k]! += embedding[from + k]!;
      }
      const scale = 1 / tokens.length;
      for (let k = 0; k < width; k++) pooled[out + k]! *= scale;
    });
    for (let l = 0; l < this.sizes.length; l++) {
      const [inputs, outputs] = this.sizes[l]!;
      const last = l === this.sizes.length - 1;
      const output = last ? this.logits : this.inputs[l + 1]!;
      affine(this.inputs[l]!, layers[l]!.weight, layers[l]!.bias, rows, inputs, outputs, output);
      if (!last) for (let i = 0; i < rows * outputs; i++) if (output[i]! < 0) output[i] = 0;
    }
    return this.logits.subarray(0, rows * this.classes);
  }

  /** Writes the gradients of the mean loss of the last forward batch; returns the summed loss. */
  backward(labels: readonly number[], gradients: ClassifierWeights): number {
    const rows = labels.length;
    const classes = this.classes;
    const logitGradient = this.outputGradient[this.sizes.length - 1]!;
    let lossSum = 0;
    for (let row = 0; row < rows; row++) {
      const at = row * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, this.logits[at + c]!);
      let total = 0;
      for (let c = 0; c < classes; c++) total += Math.exp(this.logits[at + c]! - max);
      lossSum += Math.log(total) + max - this.logits[at + labels[row]!]!;
      for (let c = 0; c < classes; c++) logitGradient[at + c] = (Math.exp(this.logits[at + c]! - max) / total - (c === labels[row] ? 1 : 0)) / rows;
    }
    for (let l = this.sizes.length - 1; l >= 0; l--) {
      const [inputs, outputs] = this.sizes[l]!;
      const input = this.inputs[l]!;
      const gradient = this.outputGradient[l]!;
      weightGradient(input, gradient, rows, inputs, outputs, gradients.layers[l]!);
      // The gradient reaching layer l's input: through layer l-1's ReLU, or into the pooled embedding.
      const inputGradient = l > 0 ? this.outputGradient[l - 1]! : this.pooledGradient;
      multiplyTransposed(gradient, this.weights.layers[l]!.weight, inputGradient, rows, inputs, outputs);
      if (l > 0) for (let i = 0; i < rows * inputs; i++) if (input[i] === 0) inputGradient[i] = 0;
      if (l === 0) this.embeddingGradient(inputGradient, gradients.embedding);
    }
    return lossSum;
  }

  private embeddingGradient(pooledGradient: Float32Array, embeddingGradient: Float32Array): void {
    const width = this.width;
    embeddingGradient.fill(0);
    this.sequences.forEach((tokens, row) => {
      const scale = 1 / tokens.length;
      for (const token of tokens) {
        const to = token * width;
        for (let k = 0; k < width; k++) embeddingGradient[to + k]! += pooledGradient[row * width + k]! * scale;
      }
    });
  }
}

/** output[r, :] = bias + x[r, :] W, with W [inputs, outputs]. */
function affine(x: Float32Array, weight: Float32Array, bias: Float32Array, rows: number, inputs: number, outputs: number, output: Float32Array): void {
  for (let r = 0; r < rows; r++) output.set(bias, r * outputs);
  multiplyAdd(x, inputs, 1, weight, output, rows, inputs, outputs);
}

/** dW = x^T dOut and db = column sums of dOut (overwritten, not accumulated). */
function weightGradient(x: Float32Array, outputGradient: Float32Array, rows: number, inputs: number, outputs: number, into: DenseLayer): void {
  into.weight.fill(0);
  multiplyAdd(x, 1, inputs, outputGradient, into.weight, inputs, rows, outputs);
  into.bias.fill(0);
  for (let r = 0; r < rows; r++) for (let j = 0; j < outputs; j++) into.bias[j]! += outputGradient[r * outputs + j]!;
}

/**
 * c[m, :] += Σ_k A(m, k) · b[k, :] for an [rows, depth] A read as a[m * aRow + k * aCol]
 * (aCol = 1: A itself; aRow = 1: A transposed) and b, c row-major with `width` columns.
 * Blocks of 4 x 4 keep sixteen A values in registers, so each load of b serves four rows of c.
 */
function multiplyAdd(a: Float32Array, aRow: number, aCol: number, b: Float32Array, c: Float32Array, rows: number, depth: number, width: number): void {
  const blockRows = rows - (rows % 4);
  const blockDepth = depth - (depth % 4);
  for (let k = 0; k < blockDepth; k += 4) {
    for (let m = 0; m < blockRows; m += 4) multiplyAddBlock(a, aRow, aCol, b, c, m, k, width);
    for (let m = blockRows; m < rows; m++) for (let kk = k; kk < k + 4; kk++) axpy(a[m * aRow + kk * aCol]!, b, kk * width, c, m * width, width);
  }
  for (let k = blockDepth; k < depth; k++) for (let m = 0; m < rows; m++) axpy(a[m * aRow + k * aCol]!, b, k * width, c, m * width, width);
}

/** c[m..m+3, :] += A(m..m+3, k..k+3) · b[k..k+3, :]. */
function multiplyAddBlock(a: Float32Array, aRow: number, aCol: number, b: Float32Array, c: Float32Array, m: number, k: number, width: number): void {
  const b0 = k * width,
    b1 = b0 + width,
    b2 = b1 + width,
    b3 = b2 + width;
  const p = m * aRow + k * aCol,
    q = p + aRow,
    s = q + aRow,
    t = s + aRow;
  const a00 = a[p]!,
    a01 = a[p + aCol]!,
    a02 = a[p + 2 * aCol]!,
    a03 = a[p + 3 * aCol]!;
  const a10 = a[q]!,
    a11 = a[q + aCol]!,
    a12 = a[q + 2 * aCol]!,
    a13 = a[q + 3 * aCol]!;
  const a20 = a[s]!,
    a21 = a[s + aCol]!,
    a22 = a[s + 2 * aCol]!,
    a23 = a[s + 3 * aCol]!;
  const a30 = a[t]!,
    a31 = a[t + aCol]!,
    a32 = a[t + 2 * aCol]!,
    a33 = a[t + 3 * aCol]!;
  const c0 = m * width,
    c1 = c0 + width,
    c2 = c1 + width,
    c3 = c2 + width;
  for (let j = 0; j < width; j++) {
    const e0 = b[b0 + j]!,
      e1 = b[b1 + j]!,
      e2 = b[b2 + j]!,
      e3 = b[b3 + j]!;
    c[c0 + j]! += a00 * e0 + a01 * e1 + a02 * e2 + a03 * e3;
    c[c1 + j]! += a10 * e0 + a11 * e1 + a12 * e2 + a13 * e3;
    c[c2 + j]! += a20 * e0 + a21 * e1 + a22 * e2 + a23 * e3;
    c[c3 + j]! += a30 * e0 + a31 * e1 + a32 * e2 + a33 * e3;
  }
}

/**
 * c[m, i] = Σ_j a[m, j] · b[i, j]: A times B transposed, a [rows, depth] and b [columns, depth] row-major.
 * Blocks of 4 rows x 2 columns keep eight running sums in registers.
 */
function multiplyTransposed(a: Float32Array, b: Float32Array, c: Float32Array, rows: number, columns: number, depth: number): void {
  const blockRows = rows - (rows % 4);
  const blockColumns = columns - (columns % 2);
  for (let i = 0; i < blockColumns; i += 2) {
    const e0 = i * depth,
      e1 = e0 + depth;
    for (let m = 0; m < blockRows; m += 4) {
      const g0 = m * depth,
        g1 = g0 + depth,
        g2 = g1 + depth,
        g3 = g2 + depth;
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0,
        s20 = 0,
        s21 = 0,
        s30 = 0,
        s31 = 0;
      for (let j = 0; j < depth; j++) {
        const w0 = b[e0 + j]!,
          w1 = b[e1 + j]!;
        const x0 = a[g0 + j]!,
          x1 = a[g1 + j]!,
          x2 = a[g2 + j]!,
          x3 = a[g3 + j]!;
        s00 += x0 * w0;
        s01 += x0 * w1;
        s10 += x1 * w0;
        s11 += x1 * w1;
        s20 += x2 * w0;
        s21 += x2 * w1;
        s30 += x3 * w0;
        s31 += x3 * w1;
      }
      const o = m * columns + i;
      c[o] = s00;
      c[o + 1] = s01;
      c[o + columns] = s10;
      c[o + columns + 1] = s11;
      c[o + 2 * columns] = s20;
      c[o + 2 * columns + 1] = s21;
      c[o + 3 * columns] = s30;
      c[o + 3 * columns + 1] = s31;
    }
    for (let m = blockRows; m < rows; m++) for (let ii = i; ii < i + 2; ii++) c[m * columns + ii] = dot(a, m * depth, b, ii * depth, depth);
  }
  for (let i = blockColumns; i < columns; i++) for (let m = 0; m < rows; m++) c[m * columns + i] = dot(a, m * depth, b, i * depth, depth);
}

function axpy(scale: number, x: Float32Array, xAt: number, y: Float32Array, yAt: number, length: number): void {
  for (let j = 0; j < length; j++) y[yAt + j]! += scale * x[xAt + j]!;
}

function dot(x: Float32Array, xAt: number, y: Float32Array, yAt: number, length: number): number {
  let sum = 0;
  for (let j = 0; j < length; j++) sum += x[xAt + j]! * y[yAt + j]!;
  return sum;
}

function adamUpdate(parameter: Float32Array, gradient: Float32Array, firstMoment: Float32Array, secondMoment: Float32Array, stepSize: number): void {
  for (let i = 0; i < parameter.length; i++) {
    const g = gradient[i]!;
    const m = (firstMoment[i] = BETA1 * firstMoment[i]! + (1 - BETA1) * g);
    const v = (secondMoment[i] = BETA2 * secondMoment[i]! + (1 - BETA2) * g * g);
    parameter[i]! -= (stepSize * m) / (Math.sqrt(v) + EPSILON);
  }
}

function zerosLike(weights: ClassifierWeights): ClassifierWeights {
  return {
    embedding: new Float32Array(weights.embedding.length),
    layers: weights.layers.map((l) => ({ weight: new Float32Array(l.weight.length), bias: new Float32Array(l.bias.length) })),
  };
}

function flatten(weights: ClassifierWeights): Float32Array[] {
  return [weights.embedding, ...weights.layers.flatMap((l) => [l.weight, l.bias])];
}

/** Fisher-Yates, driven by the seeded PRNG. */
function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
