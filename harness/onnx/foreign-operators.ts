/**
 * Operator domains exporters write that no onnxruntime inference build implements: torch.onnx.export's
 * ONNX_ATEN_FALLBACK turns an op without an ONNX symbolic into org.pytorch.aten:ATen (onnxruntime has ATen
 * kernels only in its training builds), and Caffe2-era exports use org.pytorch._caffe2.
 */
const FOREIGN_DOMAINS: Record<string, string> = {
  'org.pytorch.aten': "org.pytorch.aten:ATen nodes (torch.onnx.export's ATen fallback for an op without an ONNX symbolic)",
  'org.pytorch._caffe2': 'org.pytorch._caffe2 nodes (a Caffe2 export)',
};

/** Why onnxruntime will refuse a graph importing these domains, or undefined when none is foreign. */
export function foreignOperators(opsets: readonly { domain: string }[]): string | undefined {
  const found = opsets.map((o) => FOREIGN_DOMAINS[o.domain]).filter((what): what is string => what !== undefined);
  return found.length > 0 ? `the graph holds ${found.join(' and ')}, which onnxruntime's inference builds do not run` : undefined;
}
