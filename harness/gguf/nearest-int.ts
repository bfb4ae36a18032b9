/**
 * ggml's nearest_int (ggml/src/ggml-quants.c): rounds half to even, as the
 * float trick it uses does (computed here in double precision, so a value on a
 * float32 rounding edge may land one step apart).
 */
export function nearestInt(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** C's roundf: half away from zero (quantize_row_q8_0_ref rounds with it). */
export function roundAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/** C's (int8_t) cast of a float in range: truncation toward zero. */
export function truncate(value: number): number {
  return Math.trunc(value);
}
