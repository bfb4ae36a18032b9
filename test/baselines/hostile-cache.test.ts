import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchBaselineAnswers, type OpenAiCompatibleOptions } from '../../harness/baselines/openai-compatible.ts';

let server: Server;
let requests = 0;
let baseUrl: string;
let cacheDir: string;

beforeEach(async () => {
  requests = 0;
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'fresh answer' } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  cacheDir = await mkdtemp(join(tmpdir(), 'edgebench-hostile-cache-'));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(cacheDir, { recursive: true, force: true });
});

const options = (): OpenAiCompatibleOptions => ({
  baseUrl,
  model: 'cloud-model',
  cacheDir,
  timeoutMs: 5_000,
  maxRetries: 0,
  backoffBaseMs: 5,
  maxRetryAfterMs: 1_000,
});
const prompts = [{ exampleId: 'q1', prompt: 'prompt q1' }];

describe('cached baseline answers that are not what a cache entry can be', () => {
  it('an entry that is a FIFO, or larger than 64 MiB, is a miss: fetched again and replaced by a regular file', async () => {
    await fetchBaselineAnswers(prompts, options());
    const [name] = await readdir(cacheDir);
    const entry = join(cacheDir, name!);

    // A FIFO would block the read forever, waiting for a writer.
    await rm(entry);
    await execa('mkfifo', [entry]);
    expect(await fetchBaselineAnswers(prompts, options())).toEqual([{ exampleId: 'q1', answer: 'fresh answer', cached: false }]);
    expect((await stat(entry)).isFile()).toBe(true);

    // Sparse: its size alone refuses it.
    await truncate(entry, 64 * 1024 * 1024 + 1);
    expect(await fetchBaselineAnswers(prompts, options())).toEqual([{ exampleId: 'q1', answer: 'fresh answer', cached: false }]);
    expect((await stat(entry)).size).toBeLessThan(1024);
    expect(requests).toBe(3);
  });
});
