import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { promptEncoder } from '../../harness/tasks/prompt.ts';
import { loadTokenizer } from '../../harness/tasks/tokenizer.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { DEVICES_YAML, tempProject, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'models', 'gpt2-tjs');
const NEW_TOKENS = 6;
const LINES = [
  { id: 'a', prompt: 'hello world' },
  { id: 'b', prompt: 'the cat sat' },
  {
    id: 'c',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'why?' },
    ],
  },
];

let project: TempProject;
/** Greedy tokens of each line's templated prompt, by full recomputation, with no stop ids. */
const reference = new Map<string, number[]>();
beforeAll(async () => {
  project = await tempProject();
  cpSync(FIXTURE, project.path('models/gpt2'), { recursive: true });
  const prompts = promptEncoder(loadTokenizer(join(FIXTURE, 'tokenizer.json'), 'suite.yaml'), undefined, 'suite.yaml');
  const session = await ort.InferenceSession.create(join(FIXTURE, 'onnx', 'model.onnx'), { intraOpNumThreads: 1 });
  for (const line of LINES)
    reference.set(line.id, (await greedyDecode(session, prompts.encode(line, line.id), { useCache: false, newTokens: NEW_TOKENS })).tokens);
  await session.release();
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write('suites/data/prompts.jsonl', LINES.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await project.write(
    'suites/gpt2.yaml',
    [
      'name: gpt2-prompts',
      'task: generate',
      'dataset: data/prompts.jsonl',
      'warmup: 1',
      'iterations: 3',
      'repeats: 1',
      'runtime:',
      '  intraOpThreads: 1',
      'generation:',
      `  maxNewTokens: ${NEW_TOKENS}`,
      'variants:',
      '  - {name: fp32, precision: fp32, file: ../models/gpt2/onnx/model.onnx}',
      '',
    ].join('\n'),
  );
});
afterAll(() => project.cleanup());

describe('generate prompts through the real CLI, on a transformers.js export', () => {
  it("stops at every eos id generation_config.json lists, and records a generation that stops at once as ''", async () => {
    const [a, b] = [reference.get('a')!, reference.get('b')!];
    // b's first token and a's second are both eos ids: b generates nothing, a one token.
    const eos = [b[0]!, a[1]!];
    expect(a[0]).not.toBe(b[0]);
    const configFile = project.path('models/gpt2/generation_config.json');
    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), eos_token_id: eos }));

    const result = await execa(process.execPath, [BIN, 'run', '--suite', 'suites/gpt2.yaml', '--run-id', 'eos'], {
      cwd: project.dir,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const results = Results.parse(JSON.parse(await readFile(project.path('reports/eos/results.json'), 'utf8')));
    const cell = results.cells[0]!;
    expect(cell.status).toBe('ok');
    const outputs = new Map(cell.outputs.map((o) => [o.exampleId, o]));
    for (const line of LINES) {
      const tokens = reference.get(line.id)!;
      const stop = tokens.findIndex((t) => eos.includes(t) || t === 456);
      const output = outputs.get(line.id)!;
      if (output.output.kind !== 'generate') throw new Error('expected a generate output');
      expect(output.output.tokenIds).toEqual(stop < 0 ? tokens : tokens.slice(0, stop));
    }
    const empty = outputs.get('b')!;
    expect(empty.output).toMatchObject({ kind: 'generate', tokenIds: [] });
    expect(empty.answer).toBe('');
    expect(outputs.get('a')!.answer).not.toBe('');
    // The results name each example by its prompt's words.
    expect(results.examples?.find((e) => e.id === 'c')?.input).toBe('Be brief.\nwhy?');
  });
});
