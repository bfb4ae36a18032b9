import { floatTensor, int64Tensor, node, rawTensor } from '../onnx/build.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { quantizeInt4Blocks, searchedKeptShares, type Int4Blocks } from './int4-blocks.ts';
import { quantizeInt8Blocks } from './int8-blocks.ts';
import { floatValues, uniqueNamer } from './model-graph.ts';
import { MS_DOMAIN } from './rewrite-int4.ts';
import { transposeMatrix, type GatherTarget, type MatMulTarget } from './targets.ts';

/**
 * Embedding tables become com.microsoft GatherBlockQuantized: uint8 codes [vocab, hidden * bits / 8] with one
 * scale per row block, symmetric (implicit zero point 8 for 4 bits, 128 for 8 bits).
 *
 * Why GatherBlockQuantized and not a block-wise DequantizeLinear feeding Gather: DequantizeLinear over a
 * constant table dequantizes the whole table on every run (onnxruntime does not constant-fold it). Measured
 * here on a 50,257 x 256 table, one thread, p50 of one lookup of 1 / 64 tokens:
 *   onnxruntime-node 1.30:            GatherBlockQuantized 4-bit 0.027 / 0.445 ms, 8-bit 0.026 / 0.179 ms;
 *                                     DequantizeLinear (int8, block 32) + Gather 228 / 182 ms.
 *   onnxruntime-web 1.30 (wasm, node): GatherBlockQuantized 4-bit 0.064 / 0.208 ms, 8-bit 0.064 / 0.224 ms;
 *                                     DequantizeLinear + Gather 361 / 347 ms.
 *
 * A table also read by an output head through a Transpose (tied embeddings) is quantized once: the head
 * becomes MatMulNBits over a Reshape of the same codes and scales, because MatMulNBits's [N, K] blocks are
 * exactly the table's rows. The file holds one quantized copy and no float one.
 */
export interface EmbeddingRewrite {
  /** Gather layers that now read quantized tables. */
  embeddings: string[];
  /** Head layers that share a quantized table with a Gather. */
  tiedHeads: string[];
}

/** The block size for a table of `cols` columns: the preferred one if it divides the row, else the largest power of two >= 16 that does. */
export function embeddingBlockSize(cols: number, preferred: number): number | undefined {
  for (let size = preferred; size >= 16; size /= 2) if (cols % size === 0) return size;
  return undefined;
}

const int4Codes = (q: Int4Blocks) => ({ codes: q.packed, scales: q.scales });

export function rewriteEmbeddings(
  graph: OnnxTypes.GraphProto,
  gathers: GatherTarget[],
  heads: MatMulTarget[],
  options: { bits: 4 | 8; blockSize: number; accuracyLevel: number; searchScales?: boolean },
): EmbeddingRewrite {
  const name = uniqueNamer(graph);
  const { UINT8 } = onnx.TensorProto.DataType;
  const result: EmbeddingRewrite = { embeddings: [], tiedHeads: [] };
  const replacements = new Map<OnnxTypes.INodeProto, OnnxTypes.INodeProto[]>();
  const tables = new Map<string, GatherTarget[]>();
  for (const g of gathers) tables.set(g.table.name, [...(tables.get(g.table.name) ?? []), g]);
  for (const [tableName, readers] of tables) {
    const { table, rows, cols } = readers[0]!;
    const blockSize = embeddingBlockSize(cols, options.blockSize);
    if (blockSize === undefined) continue; // rows no block divides stay float
    const blocks = cols / blockSize;
    // The table's rows are the output features of a [cols, rows] matrix: MatMulNBits's layout.
    const weight = transposeMatrix(floatValues(table), rows, cols);
    const kept = options.bits === 4 && options.searchScales ? searchedKeptShares(weight, cols, rows, blockSize) : undefined;
    const q = options.bits === 4 ? int4Codes(quantizeInt4Blocks(weight, cols, rows, blockSize, true, kept)) : quantizeInt8Blocks(weight, cols, rows, blockSize);
    const codesName = name(`${tableName}_q${options.bits}`);
    const scalesName = name(`${tableName}_scales`);
    graph.initializer.push(rawTensor(codesName, UINT8, [rows, (cols * options.bits) / 8], q.codes));
    graph.initializer.push(floatTensor(scalesName, [rows, blocks], q.scales));
    for (const g of readers) {
      const gbq = node(
        'GatherBlockQuantized',
        [codesName, g.indices, scalesName],
        [g.output],
        { block_size: blockSize, gather_axis: 0, quantize_axis: 1, bits: options.bits },
        MS_DOMAIN,
      );
      gbq.name = `${g.layer.replace(/[^A-Za-z0-9_./]/g, '_')}_Q${options.bits}`;
      replacements.set(g.node, [gbq]);
      result.embeddings.push(g.layer);
    }
    const tied = heads.filter((h) => h.transposed && h.weight.name === tableName);
    if (tied.length === 0) continue;
    const codes3d = name(`${codesName}_blocks`);
    const scalesFlat = name(`${scalesName}_flat`);
    const codesShape = name(`${codesName}_blocks_shape`);
    const scalesShape = name(`${scalesName}_flat_shape`);
    graph.initializer.push(int64Tensor(codesShape, [3], [rows, blocks, (blockSize * options.bits) / 8]));
    graph.initializer.push(int64Tensor(scalesShape, [1], [rows * blocks]));
    const reshapes = [node('Reshape', [codesName, codesShape], [codes3d]), node('Reshape', [scalesName, scalesShape], [scalesFlat])];
    reshapes.forEach((r, i) => (r.name = `${tableName}_shared_reshape_${i}`));
    tied.forEach((head, i) => {
      const matmul = node(
        'MatMulNBits',
        [head.input, codes3d, scalesFlat],
        [head.output],
        { K: cols, N: rows, bits: options.bits, block_size: blockSize, accuracy_level: options.accuracyLevel },
        MS_DOMAIN,
      );
      matmul.name = `${head.layer.replace(/[^A-Za-z0-9_./]/g, '_')}_Q${options.bits}`;
      replacements.set(head.node, i === 0 ? [...reshapes, matmul] : [matmul]);
      result.tiedHeads.push(head.layer);
    });
  }
  graph.node = graph.node.flatMap((n) => replacements.get(n) ?? [n]);
  return result;
}
