/**
 * Size targets and next-token KL on a model the project never saw: a torch-exported Llama-style SLM with an
 * untied 50,257-token embedding and head (scripts/fixtures/slm_50k.py, built into .cache/slm-50k/). Targets:
 * int8 <= 0.30x, int4 <= 0.18x, fp16 <= 0.51x of the fp32 bytes. KL is the mean over every position of the
 * prompts in prompts.json of KL(fp32 || variant) of the next-token distributions; same-top-1 beside it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quantizeModel, type QuantizeOptions } from '../harness/quantize/quantize.ts';
import { promptLogits, tokenExamples } from '../harness/quantize/next-token-logits.ts';
import { fidelity } from '../harness/stats/fidelity.ts';

export { promptLogits };

export const SLM_FOLDER = '.cache/slm-50k';
export const SLM_BUILD = 'LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 scripts/fixtures/slm_50k.py';

/** gptq / awq calibration from token-id sequences (one example each), named by the file they came from and its hash. */
export async function tokenCalibration(sequences: number[][], file: string, idPrefix: string): Promise<NonNullable<QuantizeOptions['int4Calibration']>> {
  return {
    examples: tokenExamples(sequences, idPrefix),
    source: file,
    sha256: createHash('sha256')
      .update(await readFile(file))
      .digest('hex'),
  };
}

export interface SlmVariant {
  name: string;
  /** `calibrated`: GPTQ and friends get the calibration prompts (disjoint from the KL prompts). */
  options: Omit<QuantizeOptions, 'input' | 'output'>;
  /** The most the variant may weigh, as a share of fp32, if the issue sets a target. */
  target?: number;
}

export async function benchSlm(variants: SlmVariant[], promptCount = 8): Promise<void> {
  const source = join(SLM_FOLDER, 'onnx', 'model.onnx');
  if (!existsSync(source)) {
    console.log(`\nunseen SLM: ${source} is missing; build it once (torch 1.13, about 5 minutes) with:\n  ${SLM_BUILD}`);
    return;
  }
  const promptsFile = join(SLM_FOLDER, 'prompts.json');
  const prompts = (JSON.parse(await readFile(promptsFile, 'utf8')) as { prompts: number[][] }).prompts.slice(0, promptCount);
  // Calibration from the corpus's first half: the KL is measured on text the calibration never saw.
  const calibrationFile = join(SLM_FOLDER, 'calibration.json');
  const calibrationPrompts = (JSON.parse(await readFile(calibrationFile, 'utf8')) as { prompts: number[][] }).prompts;
  const int4Calibration = await tokenCalibration(calibrationPrompts, calibrationFile, 'calibration');

  const sourceBytes = (await import('node:fs')).statSync(source).size + (await import('node:fs')).statSync(`${source}_data`).size;
  const reference = await promptLogits(source, prompts);
  const width = 50257;
  console.log(
    `\nunseen SLM (${SLM_FOLDER}, untied 50,257-token embedding and head, ${(sourceBytes / 1e6).toFixed(1)} MB fp32): KL(fp32 || variant) over ${reference.length * prompts[0]!.length} next-token positions`,
  );
  console.log('variant           bytes      vs fp32  target    mean KL   same top-1');
  for (const variant of variants) {
    const { outputFile, manifest } = await quantizeModel({
      ...variant.options,
      ...(variant.options.algorithm && variant.options.algorithm !== 'rtn' ? { int4Calibration } : {}),
      input: source,
      output: join(SLM_FOLDER, 'variants', `${variant.name.replace(' ', '-')}.onnx`),
    });
    const f = fidelity(reference, await promptLogits(outputFile, prompts), width);
    const ratio = manifest.diskBytes / sourceBytes;
    const target = variant.target === undefined ? '' : `<= ${variant.target.toFixed(2)} ${ratio <= variant.target ? 'met' : 'MISSED'}`;
    console.log(
      `${variant.name.padEnd(16)} ${String(manifest.diskBytes).padStart(10)}  ${ratio.toFixed(3).padStart(7)}  ${target.padEnd(10)} ${f.meanKlDivergence.toExponential(3).padStart(9)}  ${(f.top1Agreement * 100).toFixed(1).padStart(8)}%`,
    );
  }
}
