import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { inspectGguf } from '../../harness/gguf/gguf-inspection.ts';
import { readGgufInfo } from '../../harness/gguf/read-gguf.ts';
import { ModelFileError } from '../../harness/onnx/model-file.ts';

const LLAMA_TJS = fileURLToPath(new URL('../fixtures/models/llama-tjs/', import.meta.url));

let dir: string;
let q8: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-read-gguf-'));
  q8 = join(dir, 'model_q8_0.gguf');
  await convertToGguf({ input: LLAMA_TJS, quant: 'q8_0', output: q8 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('reading GGUF files', () => {
  it('describes a file from its header: architecture, tensor types, context length, and precision from the tensor types', async () => {
    const info = await readGgufInfo(q8);
    expect(info.description).toMatchObject({ architecture: 'llama', tensorCount: 21, contextLength: 256, fileType: 'Q8_0', tensorTypes: { Q8_0: 16, F32: 5 } });
    expect(info.vocabularySize).toBe(459);
    const inspection = await inspectGguf(q8);
    expect(inspection.precision).toEqual({ label: 'int8', evidence: expect.stringContaining('Q8_0 100%') as string });
    expect(inspection.inputs.map((v) => v.name)).toEqual(['input_ids', 'past_key_values.0.key', 'past_key_values.0.value']);
  });

  it('takes precision from the tensors, not the name: an F16 file named q4 is fp16', async () => {
    const misnamed = join(dir, 'model_q4.gguf');
    await convertToGguf({ input: LLAMA_TJS, quant: 'f16', output: misnamed });
    expect((await inspectGguf(misnamed)).precision?.label).toBe('fp16');
  });

  it('a truncated file is a MODEL_CORRUPT error naming the tensor that does not fit', async () => {
    const bytes = await readFile(q8);
    const cut = join(dir, 'cut.gguf');
    await writeFile(cut, bytes.subarray(0, bytes.length - 4096));
    const error = await readGgufInfo(cut).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).code).toBe('MODEL_CORRUPT');
    expect((error as ModelFileError).message).toMatch(/truncated: tensor \S+ \(\w+\) ends at byte \d+, the file has \d+/);
  });

  it('a file of another format named .gguf is a MODEL_CORRUPT error saying it is not GGUF', async () => {
    const foreign = join(dir, 'foreign.gguf');
    await copyFile(join(LLAMA_TJS, 'onnx/model_fp16.onnx'), foreign);
    await expect(readGgufInfo(foreign)).rejects.toThrow(/not a valid GGUF file/);
  });
});
