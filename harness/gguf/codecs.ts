import { readHalf, writeHalf, type BlockCodec } from './block-codec.ts';
import type { GgmlType } from './ggml-types.ts';
import { q4_0 } from './q4_0.ts';
import { q4_k } from './q4_k.ts';
import { q5_0 } from './q5_0.ts';
import { q6_k } from './q6_k.ts';
import { q8_0 } from './q8_0.ts';

const f32: BlockCodec = {
  quantize: (values) => new Uint8Array(Float32Array.from(values).buffer),
  dequantize: (bytes, elements) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + elements * 4)),
};

const f16: BlockCodec = {
  quantize(values) {
    const out = new Uint8Array(values.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) writeHalf(view, i * 2, values[i]!);
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float32Array.from({ length: elements }, (_, i) => readHalf(view, i * 2));
  },
};

/** How each ggml type edgebench writes turns float32 values into its bytes and back. */
export const codecs = { F32: f32, F16: f16, Q4_0: q4_0, Q5_0: q5_0, Q8_0: q8_0, Q4_K: q4_k, Q6_K: q6_k } as const satisfies Record<GgmlType, BlockCodec>;
