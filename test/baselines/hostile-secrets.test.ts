import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BaselineError, baselineOptionsFromEnv, chatCompletionsUrl, fetchBaselineAnswers } from '../../harness/baselines/openai-compatible.ts';
import { spawnRunner } from '../../harness/runner/spawn.ts';
import { redactSecrets, urlForDisplay } from '../../harness/secrets/redact.ts';
import { declareSecretEnv, runnerEnvironment } from '../../harness/secrets/secret-env.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';

const KEY = 'sk-hostile-0123456789-do-not-store';
const PASSWORD = 'hunter2-url-password';
const QUERY_KEY = 'qk-9876543210-in-the-query';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A chat-completions server on 127.0.0.1 that records what it was asked and answers with `reply(seen)`. */
async function chatServer(
  reply: (seen: Seen) => { status?: number; body: unknown; delayMs?: number },
): Promise<{ base: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const call = { url: request.url ?? '', headers: request.headers };
      seen.push(call);
      const { status, body, delayMs } = reply(call);
      setTimeout(() => {
        if (response.destroyed) return;
        response.writeHead(status ?? 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      }, delayMs ?? 0);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const answer = (content: string) => ({ choices: [{ message: { role: 'assistant', content } }] });

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'edgebench-secrets-cache-'));
});
afterEach(() => rm(cacheDir, { recursive: true, force: true }));

async function everythingIn(dir: string): Promise<string> {
  const names = await readdir(dir);
  return names.join('\n') + (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
}

async function baselineError(promise: Promise<unknown>): Promise<BaselineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof BaselineError) return error;
  throw new Error(`expected a BaselineError, got ${String(error)}`);
}

describe('the baseline URL: built with the URL API, shown without its secrets', () => {
  it("keeps the base URL's query on the request and keeps its key out of the cache", async () => {
    const server = await chatServer(() => ({ body: answer('fine') }));
    try {
      const baseUrl = `http://${server.base}/v1/?api-version=2024-06-01&api-key=${QUERY_KEY}`;
      const answers = await fetchBaselineAnswers([{ exampleId: 'q1', prompt: 'p' }], { baseUrl, model: 'm', cacheDir });
      expect(answers[0]!.answer).toBe('fine');
      expect(server.seen[0]!.url).toBe(`/v1/chat/completions?api-version=2024-06-01&api-key=${QUERY_KEY}`);
      const cache = await everythingIn(cacheDir);
      expect(cache).not.toContain(QUERY_KEY);
      expect(cache).toContain('api-version=2024-06-01&api-key=***');
    } finally {
      await server.close();
    }
  });

  it('sends user:pass@ as basic authentication and never shows the password', async () => {
    const server = await chatServer(() => ({ body: answer('late'), delayMs: 500 }));
    try {
      const baseUrl = `http://edge:${PASSWORD}@${server.base}/v1`;
      const error = await baselineError(
        fetchBaselineAnswers([{ exampleId: 'q1', prompt: 'p' }], { baseUrl, model: 'm', cacheDir, timeoutMs: 50, maxRetries: 0 }),
      );
      expect(error.code).toBe('TIMEOUT');
      expect(error.message).toContain(`http://***@${server.base}/v1/chat/completions`);
      expect(error.message).not.toContain(PASSWORD);
      expect(server.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`edge:${PASSWORD}`).toString('base64')}`);
      expect(await everythingIn(cacheDir)).not.toContain(PASSWORD);
    } finally {
      await server.close();
    }
  });

  it('redacts the key from an answer that echoes it, in what is returned and what is cached', async () => {
    const server = await chatServer(() => ({ body: answer(`my key is ${KEY}, the url's is ${QUERY_KEY}`) }));
    try {
      const baseUrl = `http://${server.base}/v1?token=${QUERY_KEY}`;
      const answers = await fetchBaselineAnswers([{ exampleId: 'q1', prompt: 'p' }], { baseUrl, model: 'm', apiKey: KEY, cacheDir });
      expect(answers[0]!.answer).toBe("my key is [api key], the url's is [redacted]");
      const cache = await everythingIn(cacheDir);
      expect(cache).not.toContain(KEY);
      expect(cache).not.toContain(QUERY_KEY);
    } finally {
      await server.close();
    }
  });

  it('does not echo an endpoint variable that is not a URL', () => {
    expect(() => baselineOptionsFromEnv({ EDGEBENCH_BASELINE_URL: KEY }, { model: 'm' })).toThrow(/EDGEBENCH_BASELINE_URL: not a URL/);
    expect(() => baselineOptionsFromEnv({ EDGEBENCH_BASELINE_URL: KEY }, { model: 'm' })).not.toThrow(new RegExp(KEY));
  });

  it("builds <base>/chat/completions whatever the base's trailing slashes", () => {
    expect(chatCompletionsUrl('https://api.example.com/v1').href).toBe('https://api.example.com/v1/chat/completions');
    expect(chatCompletionsUrl('https://api.example.com/v1//?x=1').href).toBe('https://api.example.com/v1/chat/completions?x=1');
    expect(chatCompletionsUrl('https://api.example.com').href).toBe('https://api.example.com/chat/completions');
  });

  it('shows URLs without credentials and with secret query values replaced', () => {
    expect(urlForDisplay(`https://u:${PASSWORD}@h.example/v1?api_key=${QUERY_KEY}&model=x&Signature=abc&sig=1`)).toBe(
      'https://***@h.example/v1?api_key=***&model=x&Signature=***&sig=***',
    );
    expect(urlForDisplay('https://h.example/v1?monkey=1&x-api-key=2&auth=3&password=4&secret=5&token=6&key=7')).toBe(
      'https://h.example/v1?monkey=1&x-api-key=***&auth=***&password=***&secret=***&token=***&key=***',
    );
    expect(urlForDisplay('https://h.example/v1')).toBe('https://h.example/v1');
    expect(urlForDisplay(KEY)).not.toContain(KEY);
    expect(redactSecrets(`a ${KEY} b ${KEY}`, [KEY, 'ab'])).toBe('a [redacted] b [redacted]');
  });
});

describe('runner processes get no secrets', () => {
  it("a runner's environment has no EDGEBENCH_BASELINE_* variable and no variable declared secret", async () => {
    const saved = { ...process.env };
    process.env.EDGEBENCH_BASELINE_API_KEY = KEY;
    process.env.EDGEBENCH_BASELINE_URL = `https://u:${PASSWORD}@h.example/v1`;
    process.env.MY_CLOUD_KEY = QUERY_KEY;
    process.env.HARMLESS_SETTING = 'kept';
    declareSecretEnv('MY_CLOUD_KEY');
    try {
      // Stray stdout lines are cut at 500 characters: the runner prints only what the test looks at.
      const script = `const e = process.env; console.log(JSON.stringify({ names: Object.keys(e).filter((n) => /EDGEBENCH|MY_CLOUD|HARMLESS/.test(n)), leaked: Object.values(e).some((v) => v.includes(${JSON.stringify(KEY)}) || v.includes(${JSON.stringify(PASSWORD)})), harmless: e.HARMLESS_SETTING, path: e.PATH === ${JSON.stringify(process.env.PATH)} }))`;
      const outcome = await spawnRunner(
        { file: process.execPath, args: ['-e', script], env: { NODE_OPTIONS: '' } },
        { modelPath: 'none', task: { kind: 'classify' }, warmup: 0, iterations: 1, runtime: {}, examples: [{ id: 'a', feeds: {} }] } as never,
        {
          timeoutMs: 30_000,
        },
      );
      expect(JSON.parse(outcome.strayLines[0]!)).toEqual({ names: ['HARMLESS_SETTING'], leaked: false, harmless: 'kept', path: true });
    } finally {
      process.env = saved;
    }
  });

  it("runnerEnvironment keeps the rest and lays the driver's variables over it", () => {
    expect(runnerEnvironment({ NODE_OPTIONS: '' }, { PATH: '/bin', NODE_OPTIONS: '--inspect', EDGEBENCH_BASELINE_ANYTHING: 'x' })).toEqual({
      PATH: '/bin',
      NODE_OPTIONS: '',
    });
  });
});

describe('edgebench run with a baseline whose server echoes the key (the real CLI)', () => {
  const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
  let project: TempProject;
  let server: Awaited<ReturnType<typeof chatServer>>;
  beforeAll(async () => {
    project = await smallProject();
    server = await chatServer((seen) => ({ body: answer(`b (you sent ${String(seen.headers.authorization)} to ${seen.url})`) }));
    await project.write(
      'suites/cloud.yaml',
      suiteYaml({ extra: 'classification:\n  labels: [a, b, c, d]\nbaseline:\n  provider: openai-compatible\n  model: test-model' }),
    );
  });
  afterAll(async () => {
    await server.close();
    await project.cleanup();
  });

  it("stores and shows neither the key nor the URL's secrets: results, report, cache and console", async () => {
    const env = { EDGEBENCH_BASELINE_URL: `http://edge:${PASSWORD}@${server.base}/v1?api-key=${QUERY_KEY}`, EDGEBENCH_BASELINE_API_KEY: KEY };
    const run = await execa(process.execPath, [BIN, 'run', '--suite', 'suites/cloud.yaml', '--run-id', 'echo'], { cwd: project.dir, reject: false, env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(server.seen.length).toBe(10);
    const results = await readFile(project.path('reports/echo/results.json'), 'utf8');
    expect(results).toContain('[api key]');
    const leaked = await execa('grep', ['-rlE', `${KEY}|${PASSWORD}|${QUERY_KEY}`, project.dir], { reject: false });
    expect(leaked.stdout).toBe('');
    expect(run.stdout + run.stderr).not.toMatch(new RegExp(`${KEY}|${PASSWORD}|${QUERY_KEY}`));
  });
});
