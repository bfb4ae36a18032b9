import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModel } from '../../harness/onnx/build.ts';
import { buildClassifier, type ClassifierShape } from '../../scripts/demo/classifier.ts';

export const SMALL_SHAPE: ClassifierShape = { vocabularySize: 50, embeddingSize: 16, hiddenSize: 32, hiddenLayers: 1, classes: 4, seed: 1 };

export interface TempProject {
  dir: string;
  path(...parts: string[]): string;
  write(relativePath: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function tempProject(): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), 'edgebench-test-'));
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    async write(relativePath, text) {
      const file = join(dir, relativePath);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A small real classifier (int64 input_ids [batch, sequence] -> logits [batch, 4]). */
export async function writeSmallModel(
  project: TempProject,
  relativePath = 'models/small/model.onnx',
  options: { externalData?: boolean; shape?: Partial<ClassifierShape> } = {},
): Promise<string> {
  const file = project.path(relativePath);
  await mkdir(join(file, '..'), { recursive: true });
  await writeModel(file, buildClassifier({ ...SMALL_SHAPE, ...options.shape }), options.externalData ? { minBytes: 64 } : undefined);
  return file;
}

export function datasetLines(count: number): string {
  return (
    Array.from({ length: count }, (_, i) =>
      JSON.stringify({ id: `ex-${i}`, text: `example ${i}`, inputs: { input_ids: [[1 + (i % 40), 2 + (i % 30), 3]] } }),
    ).join('\n') + '\n'
  );
}

export const DEVICES_YAML = 'devices:\n  - id: host\n    kind: local\n';

/** A suite for tests: one runner process per cell unless `repeats` says otherwise, to keep tests quick. */
export function suiteYaml(
  overrides: { variants?: string; dataset?: string; iterations?: number; warmup?: number; repeats?: number; extra?: string } = {},
): string {
  return [
    'name: small',
    'task: classify',
    `dataset: ${overrides.dataset ?? 'data/examples.jsonl'}`,
    `warmup: ${overrides.warmup ?? 3}`,
    `iterations: ${overrides.iterations ?? 25}`,
    `repeats: ${overrides.repeats ?? 1}`,
    'runtime:',
    '  intraOpThreads: 1',
    overrides.extra ?? '',
    'variants:',
    overrides.variants ?? '  - name: fp32\n    precision: fp32\n    file: ../models/small/model.onnx',
    '',
  ].join('\n');
}

/** A complete project: devices.yaml, suites/small.yaml, a model and a dataset. */
export async function smallProject(): Promise<TempProject> {
  const project = await tempProject();
  await writeSmallModel(project);
  await project.write('devices.yaml', DEVICES_YAML);
  await project.write('suites/data/examples.jsonl', datasetLines(10));
  await project.write('suites/small.yaml', suiteYaml());
  return project;
}
