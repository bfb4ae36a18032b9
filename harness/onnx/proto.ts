import onnxProto from 'onnx-proto';

/** The ONNX protobuf definitions (generated protobufjs code from the onnx-proto package). */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** ONNX TensorProto.DataType codes and the names onnxruntime's JS API uses for them. */
export const ELEMENT_TYPES = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
} as const;
export type ElementType = (typeof ELEMENT_TYPES)[keyof typeof ELEMENT_TYPES];

export function elementTypeName(code: number): ElementType | `unsupported(${number})` {
  return (ELEMENT_TYPES as Record<number, ElementType>)[code] ?? `unsupported(${code})`;
}

/** protobufjs decodes int64 fields as Long objects when the long package is present. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
