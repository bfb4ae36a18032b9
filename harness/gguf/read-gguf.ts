import { stat } from 'node:fs/promises';
import { gguf } from '@huggingface/gguf';
import type { GgufDescription } from '../core/gguf.ts';
import type { GraphPrecision } from '../core/model-folder.ts';
import { ModelFileError } from '../onnx/model-file.ts';
import { ggmlTypeName, ggmlTypes } from './ggml-types.ts';

/** llama_ftype (llama.h) names for general.file_type. */
const FILE_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  32: 'BF16',
};

export interface GgufFileInfo {
  description: GgufDescription;
  /** The logits row length: rows of token_embd.weight. */
  vocabularySize: number | undefined;
  /** Every tensor's name and ggml type name. */
  tensors: { name: string; type: string; elements: number }[];
}

/**
 * Reads a GGUF file's header with @huggingface/gguf (metadata and tensor
 * table, no tensor data) and checks the file is long enough for every tensor
 * of a type whose size is known. A file that is not GGUF, or is cut short, is a
 * ModelFileError that says so.
 */
export async function readGgufInfo(file: string): Promise<GgufFileInfo> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new ModelFileError('MODEL_NOT_FOUND', file, 'GGUF file not found');
  }
  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    parsed = await gguf(file, { allowLocalFile: true });
  } catch (error) {
    throw new ModelFileError('MODEL_CORRUPT', file, `not a valid GGUF file (truncated, or another format): ${(error as Error).message}`);
  }
  const metadata = parsed.metadata as Record<string, unknown>;
  const architecture = String(metadata['general.architecture'] ?? '');
  if (!architecture) throw new ModelFileError('MODEL_CORRUPT', file, 'the GGUF file states no general.architecture');
  const tensors = parsed.tensorInfos.map((t) => ({
    name: t.name,
    type: ggmlTypeName(Number(t.dtype)),
    elements: t.shape.reduce((a, b) => a * Number(b), 1),
    end: Number(parsed.tensorDataOffset + t.offset),
  }));
  for (const tensor of tensors) {
    const known = (ggmlTypes as Record<string, { blockElements: number; blockBytes: number }>)[tensor.type];
    if (!known) continue;
    const end = tensor.end + (tensor.elements / known.blockElements) * known.blockBytes;
    if (end > size) {
      throw new ModelFileError(
        'MODEL_CORRUPT',
        file,
        `the GGUF file is truncated: tensor ${tensor.name} (${tensor.type}) ends at byte ${end}, the file has ${size}`,
        'copy or download the file again',
      );
    }
  }
  const tensorTypes: Record<string, number> = {};
  for (const t of tensors) tensorTypes[t.type] = (tensorTypes[t.type] ?? 0) + 1;
  const contextLength = metadata[`${architecture}.context_length`];
  const fileType = metadata['general.file_type'];
  const name = metadata['general.name'];
  const embedding = parsed.tensorInfos.find((t) => t.name === 'token_embd.weight');
  return {
    description: {
      version: Number(metadata.version ?? 3),
      architecture,
      ...(typeof name === 'string' ? { name } : {}),
      tensorCount: tensors.length,
      ...(typeof contextLength === 'number' ? { contextLength } : {}),
      tensorTypes,
      ...(typeof fileType === 'number' ? { fileType: FILE_TYPE_NAMES[fileType] ?? `file type ${fileType}` } : {}),
      parameters: tensors.reduce((sum, t) => sum + t.elements, 0),
    },
    vocabularySize: embedding && embedding.shape.length >= 2 ? Number(embedding.shape[1]) : undefined,
    tensors: tensors.map(({ name, type, elements }) => ({ name, type, elements })),
  };
}

/** What edgebench calls a ggml type's precision: float types by name, 8-bit blocks int8, 4-bit blocks int4, other bit widths mixed. */
function typePrecision(type: string): GraphPrecision['label'] {
  if (type === 'F32') return 'fp32';
  if (type === 'F16') return 'fp16';
  if (type === 'BF16') return 'bf16';
  if (/^(Q8_|I8)/.test(type)) return 'int8';
  if (/^(Q4_|IQ4_|MXFP4)/.test(type)) return 'int4';
  return 'mixed';
}

/**
 * A GGUF file's precision from its tensor types, never its name: the type
 * holding most of the matrix weights (2-D tensors) decides, and the evidence
 * lists every type with its share.
 */
export function ggufPrecision(info: GgufFileInfo, matrixNames?: ReadonlySet<string>): GraphPrecision {
  const weights = new Map<string, number>();
  for (const t of info.tensors) {
    if (matrixNames ? !matrixNames.has(t.name) : t.name.endsWith('norm.weight')) continue;
    weights.set(t.type, (weights.get(t.type) ?? 0) + t.elements);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0) || 1;
  const ranked = [...weights.entries()].sort((a, b) => b[1] - a[1]);
  const dominant = ranked[0]?.[0] ?? 'F32';
  return {
    label: typePrecision(dominant),
    evidence: `GGUF weights ${ranked.map(([type, n]) => `${type} ${Math.round((100 * n) / total)}%`).join(', ')}${info.description.fileType ? ` (file type ${info.description.fileType})` : ''}`,
  };
}
