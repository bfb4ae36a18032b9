import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { writeGgufManifest } from '../../harness/gguf/gguf-manifest.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { decoderPromptExamples } from './decoder-prompts.ts';

/** The decoder trained on the demo's intent-extraction task (scripts/fixtures/train_demo_decoder.py), committed in fp32. */
export const TRAINED_DECODER = 'test/fixtures/models/trained-decoder';

/** The decoder's output head: its export applies the head as a bare weight, so the MatMul is named for the model, not lm_head. */
export const TRAINED_DECODER_HEAD = '/model/MatMul';

/** Intent-extraction prompts the decoder answers, out of the held-out corpus. */
export const DEMO_DECODER_PROMPTS = 40;

export interface DemoDecoderPaths {
  /** The model folder (config.json, tokenizer.json, onnx/). */
  decoderDir: string;
  /** Its fp32 ONNX model, onnx/model.onnx; the int8 and int4 variants are written beside it. */
  decoder: string;
  decoderGguf: string;
  promptsDataset: string;
}

/**
 * The demo decoder's variants: a copy of the trained fp32 export (not the
 * fixture itself, since the variants are written beside its model), int8 and
 * int4 made by `edgebench quantize` (the head kept at int8, the layer whose
 * errors reach the logits directly), GGUF Q4_K_M made by `edgebench convert`,
 * each with its manifest; and the prompts, as JSON lines.
 */
export async function buildDemoDecoder(paths: DemoDecoderPaths): Promise<void> {
  await rm(paths.decoderDir, { recursive: true, force: true });
  await cp(TRAINED_DECODER, paths.decoderDir, { recursive: true });
  await quantizeModel({ input: paths.decoder, to: 'int8' });
  await quantizeModel({ input: paths.decoder, to: 'int4', keepInt8: [TRAINED_DECODER_HEAD] });
  const gguf = await convertToGguf({ input: paths.decoderDir, quant: 'q4_k_m', output: paths.decoderGguf });
  await writeGgufManifest(gguf.file, gguf.sourceModel, 'q4_k_m');
  await mkdir(dirname(paths.promptsDataset), { recursive: true });
  await writeFile(
    paths.promptsDataset,
    decoderPromptExamples(DEMO_DECODER_PROMPTS)
      .map((row) => JSON.stringify(row))
      .join('\n') + '\n',
  );
}
