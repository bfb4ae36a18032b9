import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results } from '../../harness/core/results.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const KEY = 'sk-test-never-logged-0123456789';

let project: TempProject;
let server: Server;
let url: string;
let requests = 0;
beforeAll(async () => {
  project = await smallProject();
  // A cloud model that answers "b" to everything.
  server = createServer((request, response) => {
    requests++;
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'b' } }] }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  await project.write(
    'suites/cloud.yaml',
    suiteYaml({
      extra:
        'classification:\n  labels: [a, b, c, d]\nbaseline:\n  provider: openai-compatible\n  model: test-model\nrouter:\n  signal: max-probability\n  targetAccuracy: 0.9',
    }),
  );
});
afterAll(async () => {
  server.close();
  await project.cleanup();
});

const edgebench = (args: string[], env: Record<string, string>) => execa(process.execPath, [BIN, ...args], { cwd: project.dir, reject: false, env });

describe('edgebench run with the openai-compatible baseline', () => {
  it('scores against live answers, then replays them from the cache with the server gone', async () => {
    const env = { EDGEBENCH_BASELINE_URL: url, EDGEBENCH_BASELINE_API_KEY: KEY };
    const live = await edgebench(['run', '--suite', 'suites/cloud.yaml', '--run-id', 'live'], env);
    expect(live.exitCode).toBe(0);
    expect(requests).toBe(10);
    expect(live.stderr).toMatch(/baseline: 10 answers from test-model \(0 from the cache/);
    const first = Results.parse(JSON.parse(await readFile(project.path('reports/live/results.json'), 'utf8')));
    const quality = first.cells[0]!.quality!;
    expect(quality.baseline).toMatchObject({ provider: 'openai-compatible' });
    const predictedB = first.cells[0]!.outputs.filter((o) => o.answer === 'b').length;
    expect(quality.agreement).toMatchObject({ metric: 'accuracy', n: 10, value: predictedB / 10 });
    expect(quality.router?.points.length).toBeGreaterThan(1);

    server.close();
    const replay = await edgebench(['run', '--suite', 'suites/cloud.yaml', '--run-id', 'replay'], env);
    expect(replay.exitCode).toBe(0);
    expect(replay.stderr).toMatch(/baseline: 10 answers from test-model \(10 from the cache/);
    const second = Results.parse(JSON.parse(await readFile(project.path('reports/replay/results.json'), 'utf8')));
    expect(second.cells[0]!.quality!.agreement!.value).toBe(quality.agreement!.value);

    // The key never reaches results, logs or the cache.
    const cacheFiles = await execa('grep', ['-rl', KEY, project.dir], { reject: false });
    expect(cacheFiles.stdout).toBe('');
    expect(live.stdout + live.stderr + replay.stdout + replay.stderr).not.toContain(KEY);
  });

  it('stops before running anything when the endpoint is not configured', async () => {
    const result = await edgebench(['run', '--suite', 'suites/cloud.yaml', '--run-id', 'nourl'], {});
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/EDGEBENCH_BASELINE_URL/);
  });
});
