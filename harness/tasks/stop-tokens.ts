/**
 * Whether a generated token ends the generation: any of the TaskSpec's stop
 * ids (models declare several: Llama 3 <|end_of_text|> and <|eot_id|>, Phi-3
 * three). The stop token is not part of the answer, so a model that emits one
 * first has generated nothing.
 */
export function stopTokenCheck(stopTokenIds: readonly number[]): (token: number) => boolean {
  const stop = new Set(stopTokenIds);
  return (token) => stop.has(token);
}
