import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSuite } from '../../harness/config/load-suite.ts';
import { suiteYaml, tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject();
});
afterEach(() => project.cleanup());

describe('loadSuite', () => {
  it('applies defaults to a minimal suite', async () => {
    const file = await project.write('s.yaml', 'name: s\ntask: classify\ndataset: d.jsonl\nvariants:\n  - {name: fp32, precision: fp32, file: m.onnx}\n');
    const suite = loadSuite(file);
    expect(suite).toMatchObject({ warmup: 10, iterations: 100, timeoutSeconds: 600, runtime: { graphOptimizationLevel: 'all', executionMode: 'sequential' } });
  });

  it('names the field, the line and the allowed values for a bad enum', async () => {
    const file = await project.write('s.yaml', suiteYaml({ variants: '  - name: fp32\n    precision: fp64\n    file: m.onnx' }));
    expect(() => loadSuite(file)).toThrow(/s\.yaml:\d+: variants\[0\]\.precision: .*\n\s+fix: use one of: "fp32", "fp16"/);
  });

  it('rejects duplicate variant names, a negative iteration count and a missing dataset', async () => {
    const dup = await project.write(
      'a.yaml',
      suiteYaml({ variants: '  - {name: x, precision: fp32, file: a.onnx}\n  - {name: x, precision: int8, file: b.onnx}' }),
    );
    expect(() => loadSuite(dup)).toThrow(/variants\[1\]\.name: duplicate variant name "x"/);
    const negative = await project.write('b.yaml', suiteYaml({ iterations: -5 }));
    expect(() => loadSuite(negative)).toThrow(/iterations: .*\n\s+fix: use a value >= 1/);
    const noDataset = await project.write('c.yaml', 'name: s\ntask: classify\nvariants:\n  - {name: fp32, precision: fp32, file: m.onnx}\n');
    expect(() => loadSuite(noDataset)).toThrow(/dataset: .*\n\s+fix: add the required field "dataset"/);
  });

  it('explains a repeated key', async () => {
    const file = await project.write('s.yaml', suiteYaml({ extra: 'warmup: 5' }));
    expect(() => loadSuite(file)).toThrow(/s\.yaml:\d+:\d+: YAML syntax error: .*\n\s+fix: a key appears twice/);
  });

  it('rejects a malformed pinned hash', async () => {
    const file = await project.write('s.yaml', suiteYaml({ variants: '  - {name: fp32, precision: fp32, file: m.onnx, sha256: abc}' }));
    expect(() => loadSuite(file)).toThrow(/variants\[0\]\.sha256: sha256 must be 64 lowercase hex digits/);
  });
});
