import type { RunnerExample } from '../core/runner-protocol.ts';
import type { OnnxTypes } from '../onnx/proto.ts';
import { captureInputs } from './capture-inputs.ts';
import { asymmetricTarget, gptqInt4Blocks, gramMatrix, outputCorrection, refitScales } from './gptq.ts';
import { dequantizeInt4Blocks, type Int4Blocks } from './int4-blocks.ts';
import { transposeMatrix, weightKey, weightMatrix, type MatMulTarget } from './targets.ts';

/**
 * GPTQ over a whole model in the order its layers compute, as the reference implementation runs it (Frantar et al.
 * 2022, arXiv 2210.17323, section 4: each layer is quantized on "the inputs of the partially quantized model";
 * github.com/IST-DASLab/gptq, llama.py `--true-sequential`): the layers reading one input are quantized with the
 * Hessian of that input as the model computes it with every earlier layer (and table) already quantized. After
 * rounding, each column's block scales are refitted by least squares (refitScales).
 *
 * `matchFloat`, the unquantized model, (GPTAQ, Li et al. 2025, arXiv 2504.02692) makes each layer's target the float model's output on the
 * float model's input rather than its own weight on the perturbed input: the weight is moved to the least-squares
 * W' first (asymmetricTarget), so a layer also absorbs what the earlier layers' rounding did to its input.
 *
 * Measured on the trained demo decoder (held-out mean KL to fp32; `npm run bench:quantize -- --trained-only`):
 * capturing every input from the float model in one pass 4.110e-2, in this order 4.089e-2, with the refit 4.071e-2,
 * matched to the float model 3.321e-2 (int4 rtn 5.669e-2). Matching the residual stream as well (the Add after
 * o_proj and down_proj) raised it to 3.540e-2, so only the layer's own output is matched.
 *
 * While it runs, the quantized layers' float weights are replaced in `proto` by their dequantized values (what
 * MatMulNBits computes with); they are put back before it returns.
 */
/**
 * The ridge on the least-squares target W' (a share of the Hessian's mean diagonal, as GPTQ's dampening): W' fits the
 * calibration rows, and with few of them it fits their noise. On the trained decoder's held-out KL, 0.01 (GPTQ's
 * own) gave 3.32e-2 with 100 calibration windows but 7.07e-2 with 8, worse than gptq's 5.34e-2; 0.3 gave 3.30e-2 and
 * 5.23e-2, and 1 gave 3.43e-2 and 5.01e-2.
 */
const TARGET_DAMPENING = 0.3;

export async function sequentialGptq(
  proto: OnnxTypes.ModelProto,
  targets: MatMulTarget[],
  examples: RunnerExample[],
  options: { blockSize: number; symmetric: boolean; matchFloat?: OnnxTypes.ModelProto; dampening?: number },
): Promise<Map<string, Int4Blocks>> {
  const dampening = options.dampening ?? 0.01;
  const position = new Map((proto.graph?.node ?? []).map((n, i) => [n, i]));
  // Inputs in the order the graph computes their first reader (ONNX graphs are topologically sorted).
  const inputs = [...new Set([...targets].sort((a, b) => position.get(a.node)! - position.get(b.node)!).map((t) => t.input))];
  const quantized = new Map<string, Int4Blocks>();
  const originals = new Map<OnnxTypes.ITensorProto, Pick<OnnxTypes.ITensorProto, 'rawData' | 'floatData'>>();
  try {
    for (const input of inputs) {
      const readers = targets.filter((t) => t.input === input && !quantized.has(weightKey(t)));
      if (readers.length === 0) continue;
      const captured = (await captureInputs(proto, [input], examples)).get(input)!;
      const floatInput = options.matchFloat ? (await captureInputs(options.matchFloat, [input], examples)).get(input)! : undefined;
      const hessian = gramMatrix(captured, readers[0]!.k);
      for (const target of readers) {
        const key = weightKey(target);
        if (quantized.has(key)) continue;
        const { k, n } = target;
        const original = weightMatrix(target);
        const weight = floatInput
          ? asymmetricTarget(original, k, n, hessian, outputCorrection(captured, floatInput, original, k, n), TARGET_DAMPENING)
          : original;
        const blocks = refitScales(gptqInt4Blocks(weight, k, n, options.blockSize, hessian, dampening, options.symmetric), weight, hessian);
        quantized.set(key, blocks);
        const dequantized = dequantizeInt4Blocks(blocks);
        const stored = target.transposed ? transposeMatrix(dequantized, k, n) : dequantized;
        if (!originals.has(target.weight)) originals.set(target.weight, { rawData: target.weight.rawData, floatData: target.weight.floatData });
        target.weight.rawData = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
        target.weight.floatData = [];
      }
    }
  } finally {
    for (const [tensor, data] of originals) Object.assign(tensor, data);
  }
  return quantized;
}
