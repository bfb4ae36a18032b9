import { z } from 'zod';

/** C0 and C1 controls, DEL, the line and paragraph separators, and bidi embeddings, overrides and isolates. */
export const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name or label from a config: shown on terminals, in CI logs and annotations, so it may hold no control,
 * line-separator or bidi-override character (they could clear the screen, forge a log line or a workflow
 * command, or reorder what is read). Refused at load with the character and its position.
 */
export function printableText(schema: z.ZodString = z.string()): z.ZodString {
  return schema.superRefine((value, ctx) => {
    const found = new RegExp(UNSAFE_CHARACTERS.source).exec(value);
    if (!found) return;
    const code = `U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    ctx.addIssue({
      code: 'custom',
      message: `contains the control character ${code} at position ${found.index}; names are printed on terminals and in CI logs, where it could hide or forge output`,
      params: { fix: 'remove the character: write the name on one line, in plain text' },
    });
  });
}
