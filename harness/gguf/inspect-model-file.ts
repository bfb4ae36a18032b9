import { inspectModel, type ModelInspection } from '../onnx/model-file.ts';
import { inspectGguf, isGgufFile } from './gguf-inspection.ts';

/** A variant's model file, read by its format: GGUF files by their header, everything else as ONNX. */
export function inspectModelFile(path: string): Promise<ModelInspection> {
  return isGgufFile(path) ? inspectGguf(path) : inspectModel(path);
}
