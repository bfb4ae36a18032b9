import type { ModelInspection } from '../onnx/model-file.ts';
import { llamaCppValues } from '../runtimes/llama-cpp-session-layout.ts';
import { ggufPrecision, readGgufInfo } from './read-gguf.ts';

export function isGgufFile(path: string): boolean {
  return path.toLowerCase().endsWith('.gguf');
}

/**
 * A GGUF file as the plan sees a model: the inputs and outputs its llama.cpp
 * session will declare (harness/runtimes/llama-cpp-session-layout.ts), no
 * external data, and the precision its tensor types give.
 */
export async function inspectGguf(file: string): Promise<ModelInspection> {
  const info = await readGgufInfo(file);
  const values = llamaCppValues(info.vocabularySize);
  const toInfo = (v: { name: string; type: string; shape: (number | string)[] }) => ({
    name: v.name,
    type: v.type as ModelInspection['inputs'][number]['type'],
    dims: v.shape,
    ...(v.name === 'input_ids' && info.vocabularySize ? { indexes: { table: 'token_embd.weight', rows: info.vocabularySize } } : {}),
  });
  return {
    inputs: values.inputs.map(toInfo),
    outputs: values.outputs.map(toInfo),
    externalData: [],
    opsets: [],
    producer: `GGUF v${info.description.version} ${info.description.architecture}`,
    nodeCount: info.description.tensorCount,
    precision: ggufPrecision(info),
  };
}
