import { open } from 'node:fs/promises';
import { ggmlTypes, typeBytes, type GgmlType } from './ggml-types.ts';

/** A metadata value as GGUF types it (gguf_type in the spec, ggml/docs/gguf.md). */
export type MetadataValue =
  | { type: 'uint32' | 'int32' | 'float32' | 'uint64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'int32' | 'float32' | 'uint32'; values: readonly number[] };

/** A tensor to write: dims in GGUF order (ne[0], the contiguous one, first) and its bytes in that type. */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  type: GgmlType;
  data: Uint8Array;
}

export interface GgufContents {
  metadata: ReadonlyMap<string, MetadataValue>;
  tensors: readonly GgufTensor[];
}

const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

const VALUE_TYPE_IDS = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9, uint64: 10 } as const;

/** Little-endian bytes in order, growing as needed. */
class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(bytes: number): number {
    if (this.length + bytes > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
      bigger.set(this.buffer);
      this.buffer = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.length;
    this.length += bytes;
    return at;
  }
  u32(value: number): void {
    this.view.setUint32(this.reserve(4), value, true);
  }
  i32(value: number): void {
    this.view.setInt32(this.reserve(4), value, true);
  }
  f32(value: number): void {
    this.view.setFloat32(this.reserve(4), value, true);
  }
  u64(value: number): void {
    this.view.setBigUint64(this.reserve(8), BigInt(value), true);
  }
  u8(value: number): void {
    this.view.setUint8(this.reserve(1), value);
  }
  string(value: string): void {
    const bytes = new TextEncoder().encode(value);
    this.u64(bytes.length);
    this.buffer.set(bytes, this.reserve(bytes.length));
  }
  padTo(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment);
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: MetadataValue): void {
  switch (value.type) {
    case 'uint32':
      return sink.u32(value.value);
    case 'int32':
      return sink.i32(value.value);
    case 'float32':
      return sink.f32(value.value);
    case 'uint64':
      return sink.u64(value.value);
    case 'bool':
      return sink.u8(value.value ? 1 : 0);
    case 'string':
      return sink.string(value.value);
    case 'array': {
      sink.u32(VALUE_TYPE_IDS[value.itemType]);
      sink.u64(value.values.length);
      if (value.itemType === 'string') for (const item of value.values) sink.string(item);
      else for (const item of value.values) writeValue(sink, { type: value.itemType, value: item });
      return;
    }
    default: {
      const never: never = value;
      throw new Error(`unknown metadata value ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The GGUF v3 header (ggml/docs/gguf.md): magic "GGUF", version, tensor and
 * metadata counts, the key/value pairs, then each tensor's name, dims, ggml
 * type and offset into the data section, padded to general.alignment (32).
 */
function header(contents: GgufContents): { bytes: Uint8Array; offsets: number[] } {
  const sink = new ByteSink();
  sink.u32(0x46554747); // "GGUF" read as a little-endian uint32
  sink.u32(GGUF_VERSION);
  sink.u64(contents.tensors.length);
  sink.u64(contents.metadata.size);
  for (const [key, value] of contents.metadata) {
    sink.string(key);
    sink.u32(VALUE_TYPE_IDS[value.type]);
    writeValue(sink, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const tensor of contents.tensors) {
    const elements = tensor.dims.reduce((a, b) => a * b, 1);
    const expected = typeBytes(tensor.type, elements);
    if (tensor.data.length !== expected)
      throw new Error(`tensor ${tensor.name}: ${tensor.data.length} bytes, ${tensor.type} [${tensor.dims.join(', ')}] takes ${expected}`);
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(ggmlTypes[tensor.type].id);
    sink.u64(offset);
    offsets.push(offset);
    offset += expected + ((GGUF_ALIGNMENT - (expected % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT);
  }
  sink.padTo(GGUF_ALIGNMENT);
  return { bytes: sink.bytes(), offsets };
}

/** Writes a GGUF file: header, then each tensor's bytes at its aligned offset. */
export async function writeGguf(file: string, contents: GgufContents): Promise<number> {
  const { bytes, offsets } = header(contents);
  const handle = await open(file, 'w');
  try {
    await handle.write(bytes, 0, bytes.length, 0);
    for (const [index, tensor] of contents.tensors.entries()) await handle.write(tensor.data, 0, tensor.data.length, bytes.length + offsets[index]!);
    const last = contents.tensors.length - 1;
    const end = last < 0 ? bytes.length : bytes.length + offsets[last]! + contents.tensors[last]!.data.length;
    const padded = end + ((GGUF_ALIGNMENT - (end % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT);
    await handle.truncate(padded);
    return padded;
  } finally {
    await handle.close();
  }
}
