import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

let project: TempProject;
let modelPath: string;
beforeAll(async () => {
  project = await tempProject();
  modelPath = await writeSmallModel(project);
});
afterAll(() => project.cleanup());

const job = (name?: 'onnxruntime-node' | 'onnxruntime-web'): RunnerJob => ({
  modelPath,
  task: { kind: 'classify' },
  warmup: 0,
  iterations: 2,
  runtime: { ...(name ? { name } : {}), intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: [{ id: 'e0', feeds: { input_ids: { type: 'int64', dims: [1, 3], data: [1, 2, 3] } } }],
});

describe("the Node.js runner and the job's runtime", () => {
  it('runs the runtime the job names, and says which in its hello', async () => {
    const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, job('onnxruntime-node'), { timeoutMs: 60_000 });
    expect(outcome.events.find((e) => e.type === 'hello')).toMatchObject({ runtime: { name: 'onnxruntime-node', version: '1.30.0' } });
    expect(outcome.events.at(-1)).toEqual({ type: 'done' });
  });

  it('refuses a runtime it does not hold, naming where that runtime runs, before loading anything', async () => {
    const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, job('onnxruntime-web'), { timeoutMs: 60_000 });
    expect(outcome.events.map((e) => e.type)).toEqual(['error']);
    expect(outcome.events[0]).toEqual({
      type: 'error',
      code: 'RUNTIME_UNAVAILABLE',
      message:
        'runtime onnxruntime-web (onnxruntime compiled to WebAssembly, in a web page) does not run in the Node.js runner: it runs on browser, appium devices',
    });
  });
});
