import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { discoverModelFolder } from '../../harness/models/discover.ts';

const LLAMA_TJS = fileURLToPath(new URL('../fixtures/models/llama-tjs/', import.meta.url));

let folder: string;
beforeAll(async () => {
  folder = join(await mkdtemp(join(tmpdir(), 'edgebench-discover-gguf-')), 'llama-tjs');
  await cp(LLAMA_TJS, folder, { recursive: true });
  await convertToGguf({ input: folder, quant: 'q8_0' });
  // A file whose name promises 4 bits but whose tensors are F16.
  await convertToGguf({ input: folder, quant: 'f16', output: join(folder, 'onnx/model_q4_0.gguf') });
});
afterAll(() => rm(join(folder, '..'), { recursive: true, force: true }));

describe('model folder discovery with GGUF files', () => {
  it('lists *.gguf files as variants beside the ONNX ones, with precision from their tensor types', async () => {
    const found = await discoverModelFolder(folder);
    const gguf = found.variants.filter((v) => v.file.endsWith('.gguf'));
    expect(gguf.map((v) => [v.name, v.file, v.precision.label])).toEqual(
      expect.arrayContaining([
        ['gguf-q8_0', 'onnx/model_q8_0.gguf', 'int8'],
        ['gguf-q4_0', 'onnx/model_q4_0.gguf', 'fp16'],
      ]),
    );
    expect(found.variants.map((v) => v.name)).toEqual(expect.arrayContaining(['fp32', 'fp16', 'q4f16']));
    expect(found.reference).toBe('fp32');
    expect(found.warnings.join('\n')).toMatch(/model_q4_0\.gguf: the file name says .*the graph is fp16/);
  });
});
