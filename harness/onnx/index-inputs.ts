import { toNumber, type OnnxTypes } from './proto.ts';

/** A model input that selects rows of a table (token ids into an embedding): values must be below `rows`. */
export interface IndexedTable {
  /** The table's name in the graph (the embedding initializer). */
  table: string;
  rows: number;
}

/** Ops that pass a table through with its shape: a quantized embedding is dequantized before the Gather. */
const SHAPE_KEEPING = new Set(['DequantizeLinear', 'Cast', 'Identity']);

/**
 * Graph inputs used as the indices of a Gather over a table of known size:
 * an id at or beyond the table's length would fail (or, negative, wrap around)
 * inside onnxruntime, so the plan checks dataset values against it. Gathers
 * inside If/Loop bodies count too: a merged decoder (use_cache_branch) holds
 * its whole model in the two branches of an If, reading outer values by name.
 * Tables of unknown size are left out.
 */
export function indexedInputs(graph: OnnxTypes.IGraphProto): Map<string, IndexedTable> {
  const inputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  const nodes = [...withSubgraphs(graph)].flatMap((g) => g.node ?? []);
  // Value names are unique across a model's scopes (ONNX's SSA rule), so one table serves every subgraph.
  const initializers = new Map([...withSubgraphs(graph)].flatMap((g) => g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producers = new Map<string, OnnxTypes.INodeProto>();
  for (const node of nodes) for (const output of node.output ?? []) producers.set(output, node);

  const tableDims = (name: string, depth = 0): number[] | undefined => {
    const initializer = initializers.get(name);
    if (initializer) return (initializer.dims ?? []).map(toNumber);
    const producer = producers.get(name);
    if (!producer || depth > 8) return undefined;
    if (producer.opType === 'Constant') {
      const value = producer.attribute?.find((a) => a.name === 'value')?.t;
      return value ? (value.dims ?? []).map(toNumber) : undefined;
    }
    return SHAPE_KEEPING.has(producer.opType ?? '') && producer.input?.[0] ? tableDims(producer.input[0], depth + 1) : undefined;
  };

  const found = new Map<string, IndexedTable>();
  for (const node of nodes) {
    if (node.opType !== 'Gather' || (node.domain ?? '') !== '') continue;
    const [table, indices] = node.input ?? [];
    if (!table || !indices || !inputs.has(indices) || initializers.has(indices)) continue;
    const dims = tableDims(table);
    const axis = toNumber(node.attribute?.find((a) => a.name === 'axis')?.i ?? 0);
    const rows = dims?.[axis < 0 ? dims.length + axis : axis];
    if (!rows || rows <= 0) continue;
    const previous = found.get(indices);
    if (!previous || rows < previous.rows) found.set(indices, { table, rows });
  }
  return found;
}

/** The graph and every If/Loop/Scan body inside it. */
function* withSubgraphs(graph: OnnxTypes.IGraphProto): Generator<OnnxTypes.IGraphProto> {
  yield graph;
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) if (sub) yield* withSubgraphs(sub);
    }
  }
}
