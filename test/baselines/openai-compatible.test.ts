import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BaselineError, baselineOptionsFromEnv, fetchBaselineAnswers, type OpenAiCompatibleOptions } from '../../harness/baselines/openai-compatible.ts';

const API_KEY = 'sk-test-0123456789-do-not-leak';

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  delayMs?: number;
}

interface ChatCall {
  headers: IncomingHttpHeaders;
  body: { model: string; messages: { role: string; content: string }[]; temperature: number; max_tokens: number };
}

const answerReply = (content: string): Reply => ({ body: { choices: [{ index: 0, message: { role: 'assistant', content } }] } });
const echo = (call: ChatCall): Reply => answerReply(`  answer to ${call.body.messages[0]!.content}\n`);

/** A chat-completions server on a free loopback port; replies come from `queue` first, then from `otherwise`. */
class ScriptedChatServer {
  readonly calls: ChatCall[] = [];
  queue: Reply[] = [];
  otherwise: (call: ChatCall) => Reply = echo;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      request.on('end', () => {
        const call: ChatCall = { headers: request.headers, body: JSON.parse(raw) as ChatCall['body'] };
        this.calls.push(call);
        const reply = this.queue.shift() ?? this.otherwise(call);
        const send = () => {
          if (response.destroyed) return;
          const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
          response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          response.end(body);
        };
        if (!reply.delayMs) return send();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
        }, reply.delayMs);
        this.timers.add(timer);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: ScriptedChatServer;
let baseUrl: string;
let cacheDir: string;

beforeEach(async () => {
  server = new ScriptedChatServer();
  baseUrl = await server.start();
  cacheDir = await mkdtemp(join(tmpdir(), 'edgebench-baseline-cache-'));
});
afterEach(async () => {
  await server.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const prompts = (...ids: string[]) => ids.map((exampleId) => ({ exampleId, prompt: `prompt ${exampleId}` }));
const options = (overrides: Partial<OpenAiCompatibleOptions> = {}): OpenAiCompatibleOptions => ({
  baseUrl,
  model: 'cloud-model',
  apiKey: API_KEY,
  cacheDir,
  timeoutMs: 2_000,
  maxRetries: 2,
  backoffBaseMs: 5,
  maxRetryAfterMs: 2_000,
  ...overrides,
});

async function baselineError(promise: Promise<unknown>): Promise<BaselineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaselineError) return error;
    throw error;
  }
  throw new Error('expected a BaselineError');
}

async function cacheFiles(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(cacheDir)).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(cacheDir, name), 'utf8') })));
}

describe('fetchBaselineAnswers', () => {
  it('asks the chat-completions endpoint and returns the trimmed answer', async () => {
    const answers = await fetchBaselineAnswers(prompts('q1', 'q2'), options({ maxTokens: 16 }));
    expect(answers).toEqual([
      { exampleId: 'q1', answer: 'answer to prompt q1', cached: false },
      { exampleId: 'q2', answer: 'answer to prompt q2', cached: false },
    ]);
    expect(server.calls.map((c) => c.body)).toEqual([
      { model: 'cloud-model', messages: [{ role: 'user', content: 'prompt q1' }], temperature: 0, max_tokens: 16 },
      { model: 'cloud-model', messages: [{ role: 'user', content: 'prompt q2' }], temperature: 0, max_tokens: 16 },
    ]);
  });

  it('sends the API key as a bearer token, and no Authorization header without one', async () => {
    await fetchBaselineAnswers(prompts('q1'), options());
    expect(server.calls[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    await fetchBaselineAnswers(prompts('q2'), options({ apiKey: undefined }));
    expect(server.calls[1]!.headers.authorization).toBeUndefined();
  });

  it('writes one cache file per answer and answers a second run from it without a request', async () => {
    await fetchBaselineAnswers(prompts('q1'), options());
    const files = await cacheFiles();
    expect(files).toHaveLength(1);
    expect(files[0]!.name).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(JSON.parse(files[0]!.text)).toEqual({
      request: { endpoint: `${baseUrl}/chat/completions`, model: 'cloud-model', prompt: 'prompt q1', temperature: 0, max_tokens: 64 },
      answer: 'answer to prompt q1',
    });

    const again = await fetchBaselineAnswers(prompts('q1'), options());
    expect(again).toEqual([{ exampleId: 'q1', answer: 'answer to prompt q1', cached: true }]);
    expect(server.calls).toHaveLength(1);

    // Settings that change the answer are part of the key.
    await fetchBaselineAnswers(prompts('q1'), options({ maxTokens: 8 }));
    expect(server.calls).toHaveLength(2);
  });

  it('replays cached answers after the server is gone', async () => {
    await fetchBaselineAnswers(prompts('q1', 'q2'), options());
    await server.close();
    for (const offline of [false, true]) {
      const replayed = await fetchBaselineAnswers(prompts('q1', 'q2'), options({ offline }));
      expect(replayed.map((a) => a.cached)).toEqual([true, true]);
      expect(replayed.map((a) => a.answer)).toEqual(['answer to prompt q1', 'answer to prompt q2']);
    }
  });

  it('offline: a cache miss is CACHE_MISS and no request is made', async () => {
    await fetchBaselineAnswers(prompts('q1'), options());
    const error = await baselineError(fetchBaselineAnswers(prompts('q1', 'q2', 'q3'), options({ offline: true })));
    expect(error.code).toBe('CACHE_MISS');
    expect(error.exampleId).toBe('q2');
    expect(error.message).toContain('example "q2"');
    expect(error.message).toContain('2 of 3 examples missing');
    expect(server.calls).toHaveLength(1);
  });

  it('retries a request that outlives timeoutMs, then fails with TIMEOUT', async () => {
    server.otherwise = () => ({ ...answerReply('too late'), delayMs: 1_000 });
    const retries: number[] = [];
    const error = await baselineError(fetchBaselineAnswers(prompts('q1'), options({ timeoutMs: 50, onRetry: (info) => retries.push(info.attempt) })));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('example "q1"');
    expect(error.message).toContain('raise timeoutMs');
    expect(retries).toEqual([1, 2]);
    expect(server.calls).toHaveLength(3);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    server.queue = [{ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }];
    const waits: number[] = [];
    const started = Date.now();
    const answers = await fetchBaselineAnswers(prompts('q1'), options({ onRetry: (info) => waits.push(info.waitMs) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(waits).toEqual([1_000]);
    expect(answers[0]!.answer).toBe('answer to prompt q1');
    expect(server.calls).toHaveLength(2);
  });

  it('reads Retry-After as an HTTP date and caps the wait', async () => {
    server.queue = [{ status: 429, headers: { 'retry-after': new Date(Date.now() + 120_000).toUTCString() } }];
    const waits: number[] = [];
    await fetchBaselineAnswers(prompts('q1'), options({ maxRetryAfterMs: 30, backoffBaseMs: 1, onRetry: (info) => waits.push(info.waitMs) }));
    expect(waits).toEqual([30]);
  });

  it('gives up on endless 429s with RATE_LIMITED', async () => {
    server.otherwise = () => ({ status: 429, headers: { 'retry-after': '60' }, body: { error: { message: 'Rate limit reached' } } });
    const error = await baselineError(fetchBaselineAnswers(prompts('q1'), options({ maxRetryAfterMs: 10 })));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.status).toBe(429);
    expect(error.message).toContain('Rate limit reached');
    expect(error.message).toContain('gave up after 3 attempts');
    expect(server.calls).toHaveLength(3);
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    server.queue = [{ status: 500, body: { error: { message: 'overloaded' } } }];
    const retries: { attempt: number; waitMs: number; reason: string }[] = [];
    const answers = await fetchBaselineAnswers(prompts('q1'), options({ onRetry: ({ attempt, waitMs, reason }) => retries.push({ attempt, waitMs, reason }) }));
    expect(answers[0]!.answer).toBe('answer to prompt q1');
    expect(retries).toEqual([{ attempt: 1, waitMs: 5, reason: 'HTTP 500 from the server: overloaded' }]);
  });

  it('gives up on endless 5xx with SERVER_ERROR, doubling the wait each time', async () => {
    server.otherwise = () => ({ status: 503, body: 'Service Unavailable' });
    const waits: number[] = [];
    const error = await baselineError(fetchBaselineAnswers(prompts('q1'), options({ maxRetries: 3, onRetry: (info) => waits.push(info.waitMs) })));
    expect(error.code).toBe('SERVER_ERROR');
    expect(error.status).toBe(503);
    expect(waits).toEqual([5, 10, 20]);
    expect(server.calls).toHaveLength(4);
  });

  it('retries when the server cannot be reached, then fails with NETWORK', async () => {
    await server.close();
    const error = await baselineError(fetchBaselineAnswers(prompts('q1'), options()));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toMatch(/could not reach .*ECONNREFUSED/);
  });

  it('fails at once with BAD_RESPONSE on a 200 that is not JSON or has no answer', async () => {
    server.queue = [{ body: '<html>not an API</html>' }];
    const invalidJson = await baselineError(fetchBaselineAnswers(prompts('q1'), options()));
    expect(invalidJson.code).toBe('BAD_RESPONSE');
    expect(invalidJson.message).toContain('the server sent invalid JSON');
    expect(invalidJson.message).toContain('<html>');
    expect(server.calls).toHaveLength(1);

    server.queue = [{ body: { choices: [] } }];
    const noContent = await baselineError(fetchBaselineAnswers(prompts('q1'), options()));
    expect(noContent.code).toBe('BAD_RESPONSE');
    expect(noContent.message).toContain('choices[0].message.content');
    expect(server.calls).toHaveLength(2);
  });

  it("fails at once with HTTP_ERROR and the server's message on a 401", async () => {
    server.queue = [{ status: 401, body: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } } }];
    const error = await baselineError(fetchBaselineAnswers(prompts('q1'), options()));
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.status).toBe(401);
    expect(error.message).toContain('HTTP 401: Incorrect API key provided.');
    expect(error.message).toContain('EDGEBENCH_BASELINE_API_KEY');
    expect(server.calls).toHaveLength(1);
  });

  it('keeps the answers fetched before a failure, and a re-run asks only for the rest', async () => {
    server.queue = [answerReply('one'), answerReply('two')];
    server.otherwise = () => ({ status: 500 });
    const error = await baselineError(fetchBaselineAnswers(prompts('q1', 'q2', 'q3', 'q4', 'q5'), options({ maxRetries: 1 })));
    expect(error.code).toBe('SERVER_ERROR');
    expect(error.exampleId).toBe('q3');
    expect(await cacheFiles()).toHaveLength(2);

    server.otherwise = echo;
    const before = server.calls.length;
    const answers = await fetchBaselineAnswers(prompts('q1', 'q2', 'q3', 'q4', 'q5'), options());
    expect(answers.map((a) => [a.answer, a.cached])).toEqual([
      ['one', true],
      ['two', true],
      ['answer to prompt q3', false],
      ['answer to prompt q4', false],
      ['answer to prompt q5', false],
    ]);
    expect(server.calls.slice(before).map((c) => c.body.messages[0]!.content)).toEqual(['prompt q3', 'prompt q4', 'prompt q5']);
    expect((await cacheFiles()).map((f) => f.name).every((name) => name.endsWith('.json'))).toBe(true);
  });

  it('never puts the API key in an error message, retry reason or cache file, even when the server echoes it', async () => {
    const echoesKey = { error: { message: `key ${API_KEY} is not valid` } };
    const reasons: string[] = [];
    const onRetry = (info: { reason: string }) => reasons.push(info.reason);
    const errors: BaselineError[] = [];

    server.queue = [{ status: 401, body: echoesKey }];
    errors.push(await baselineError(fetchBaselineAnswers(prompts('q1'), options({ onRetry }))));
    server.queue = [
      { status: 500, body: echoesKey },
      { status: 500, body: echoesKey },
      { status: 500, body: echoesKey },
    ];
    errors.push(await baselineError(fetchBaselineAnswers(prompts('q1'), options({ onRetry }))));
    server.queue = [{ body: `not json ${API_KEY}` }];
    errors.push(await baselineError(fetchBaselineAnswers(prompts('q1'), options({ onRetry }))));
    server.queue = [{ delayMs: 500 }, { delayMs: 500 }, { delayMs: 500 }];
    errors.push(await baselineError(fetchBaselineAnswers(prompts('q1'), options({ onRetry, timeoutMs: 30 }))));
    errors.push(await baselineError(fetchBaselineAnswers(prompts('q9'), options({ offline: true }))));
    await fetchBaselineAnswers(prompts('q1', 'q2'), options());

    expect(errors.map((e) => e.code)).toEqual(['HTTP_ERROR', 'SERVER_ERROR', 'BAD_RESPONSE', 'TIMEOUT', 'CACHE_MISS']);
    expect(errors[0]!.message).toContain('[api key]');
    for (const error of errors) {
      expect(error.message).not.toContain(API_KEY);
      expect(String(error.stack)).not.toContain(API_KEY);
      expect(JSON.stringify(error)).not.toContain(API_KEY);
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason).not.toContain(API_KEY);
    const files = await cacheFiles();
    expect(files).toHaveLength(2);
    for (const file of files) expect(file.text).not.toContain(API_KEY);
  });
});

describe('baselineOptionsFromEnv', () => {
  it('reads the default variables', () => {
    const env = { EDGEBENCH_BASELINE_URL: 'https://api.example.com/v1', EDGEBENCH_BASELINE_API_KEY: API_KEY };
    expect(baselineOptionsFromEnv(env, { model: 'm' })).toEqual({ baseUrl: 'https://api.example.com/v1', apiKey: API_KEY, model: 'm' });
  });

  it('reads the variables a suite names, and treats a blank key as none', () => {
    const env = { MY_URL: 'http://127.0.0.1:8080/v1', MY_KEY: ' ' };
    expect(baselineOptionsFromEnv(env, { model: 'm', baseUrlEnv: 'MY_URL', apiKeyEnv: 'MY_KEY' })).toEqual({ baseUrl: 'http://127.0.0.1:8080/v1', model: 'm' });
  });

  it('names the variable when the URL is missing or not a URL', () => {
    expect(() => baselineOptionsFromEnv({}, { model: 'm' })).toThrow(/EDGEBENCH_BASELINE_URL is not set/);
    expect(() => baselineOptionsFromEnv({ MY_URL: 'api.example.com' }, { model: 'm', baseUrlEnv: 'MY_URL' })).toThrow(/MY_URL: not a URL/);
  });
});
