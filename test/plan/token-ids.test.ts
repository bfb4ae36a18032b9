import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../harness/config/errors.ts';
import { writeModel } from '../../harness/onnx/build.ts';
import { inspectModel } from '../../harness/onnx/model-file.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { byteLevelTokenizerJson } from '../../scripts/demo/byte-tokenizer.ts';
import { buildDecoder } from '../../scripts/demo/decoder.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

/** 64 token ids: fewer than the byte tokenizer's 256, so "hello" (bytes 104, 101, ...) is beyond its embedding, and "?" (63) is not. */
const SHAPE = { vocabularySize: 64, hiddenSize: 16, layers: 1, heads: 2, ffnSize: 32, maxPositions: 32, seed: 5 };

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
  await writeModel(project.path('models/lm/model.onnx'), buildDecoder(SHAPE));
  await project.write('models/lm/tokenizer.json', JSON.stringify(byteLevelTokenizerJson()));
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write(
    'suites/lm.yaml',
    'name: lm\ntask: generate\ndataset: data/prompts.jsonl\nwarmup: 0\niterations: 1\ngeneration:\n  maxNewTokens: 2\nvariants:\n  - {name: lm, precision: fp32, file: ../models/lm/model.onnx}\n',
  );
});
afterAll(() => project.cleanup());

async function planErrors(lines: string): Promise<string[]> {
  await project.write('suites/data/prompts.jsonl', lines);
  try {
    await buildPlan({ suiteFile: project.path('suites/lm.yaml'), devicesFile: project.path('devices.yaml') });
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  return [];
}

describe("token ids against the model's vocabulary", () => {
  it('knows the size of the table an input indexes', async () => {
    const { inputs } = await inspectModel(project.path('models/lm/model.onnx'));
    expect(inputs.find((i) => i.name === 'input_ids')!.indexes).toEqual({ table: expect.any(String), rows: 64 });
    expect(inputs.find((i) => i.name === 'attention_mask')!.indexes).toBeUndefined();
  });

  it("refuses a prompt that the tokenizer encodes to ids past the model's embedding (a tokenizer that does not fit the model)", async () => {
    expect(await planErrors('{"text": "\\u0001\\u0002"}\n{"text": "?"}\n')).toEqual([]);
    const encoded = await planErrors('{"text": "\\u0001"}\n{"text": "hello"}\n');
    expect(encoded[0]).toMatch(
      /prompts\.jsonl:2: text: .*tokenizer\.json encodes the prompt to token id 104, outside the vocabulary of variant "lm" .*64 rows\)\n\s+fix: use the tokenizer that belongs to the model/,
    );
  });
});
