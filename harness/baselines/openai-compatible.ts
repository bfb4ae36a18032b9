import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';
import { sha256Text } from '../files/hash.ts';
import { decodedUrlPart, redactSecrets, secretsOfUrl, urlForDisplay } from '../secrets/redact.ts';
import { declareSecretEnv } from '../secrets/secret-env.ts';
import { atomicWrite } from '../files/atomic-write.ts';

/** The cloud baseline: answers from an OpenAI-compatible chat-completions endpoint, cached on disk so CI can replay them. */
export interface OpenAiCompatibleOptions {
  /**
   * e.g. https://api.example.com/v1; requests go to <baseUrl>/chat/completions with the base URL's query kept.
   * A user name and password in it are sent as basic authentication (when there is no API key) and never shown.
   */
  baseUrl: string;
  model: string;
  /** Sent as a bearer token; never written to an error message, log line, cache file or return value. */
  apiKey?: string;
  cacheDir: string;
  /** Default 0, so that the same prompt gives the same answer and caching it is sound. */
  temperature?: number;
  /** Default 64. */
  maxTokens?: number;
  /** Per request, headers and body included. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Cached answers only: a miss is an error and no request is made. */
  offline?: boolean;
  /** Longest wait a 429's Retry-After can impose. Default 60000. */
  maxRetryAfterMs?: number;
  /** First backoff after a 5xx, network error or timeout; doubles on each retry. Default 200. */
  backoffBaseMs?: number;
  /** Called before each wait; `attempt` is the 1-based attempt that just failed. */
  onRetry?: (info: { exampleId: string; attempt: number; waitMs: number; reason: string }) => void;
}

export interface BaselineAnswer {
  exampleId: string;
  answer: string;
  cached: boolean;
}

export type BaselineErrorCode = 'TIMEOUT' | 'RATE_LIMITED' | 'SERVER_ERROR' | 'BAD_RESPONSE' | 'HTTP_ERROR' | 'CACHE_MISS' | 'NETWORK';

export class BaselineError extends Error {
  constructor(
    readonly code: BaselineErrorCode,
    readonly exampleId: string,
    readonly problem: string,
    readonly fix: string,
    /** HTTP status of the last response, when there was one. */
    readonly status?: number,
  ) {
    super(`baseline answer for example "${exampleId}": ${problem}\n  fix: ${fix}`);
    this.name = 'BaselineError';
  }
}

export const DEFAULT_BASE_URL_ENV = 'EDGEBENCH_BASELINE_URL';
export const DEFAULT_API_KEY_ENV = 'EDGEBENCH_BASELINE_API_KEY';

/** Endpoint and key for a suite's openai-compatible baseline; the values live in the environment so suites can be committed. */
export function baselineOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  suiteSettings: { model: string; baseUrlEnv?: string; apiKeyEnv?: string },
): { baseUrl: string; apiKey?: string; model: string } {
  const baseUrlEnv = suiteSettings.baseUrlEnv ?? DEFAULT_BASE_URL_ENV;
  const apiKeyEnv = suiteSettings.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  declareSecretEnv(baseUrlEnv);
  declareSecretEnv(apiKeyEnv);
  const baseUrl = env[baseUrlEnv]?.trim();
  if (!baseUrl) {
    throw new ConfigError(
      'environment',
      baseUrlEnv,
      `the openai-compatible baseline needs an endpoint, but ${baseUrlEnv} is not set`,
      `set ${baseUrlEnv} to the API base URL, e.g. https://api.openai.com/v1`,
    );
  }
  if (!URL.canParse(baseUrl)) {
    // The value is not shown: a key pasted into the wrong variable is a secret too.
    throw new ConfigError(
      'environment',
      baseUrlEnv,
      'not a URL (its value is not shown, as it may hold a secret)',
      `set ${baseUrlEnv} to the API base URL, e.g. https://api.openai.com/v1`,
    );
  }
  const apiKey = env[apiKeyEnv]?.trim();
  return { baseUrl, model: suiteSettings.model, ...(apiKey ? { apiKey } : {}) };
}

/** Everything that decides the answer; it is both the cache key's input and what the cache file records, so it holds no secret. */
interface ChatRequest {
  /** The endpoint as shown: without credentials, secret query values replaced by ***. */
  endpoint: string;
  model: string;
  prompt: string;
  temperature: number;
  max_tokens: number;
}

interface Settings {
  apiKey: string | undefined;
  /** Where requests go: the endpoint with its query, without credentials (fetch refuses them in a URL). */
  url: URL;
  /** From the base URL's user name and password, when there is no API key. */
  basicAuth: string | undefined;
  /** Replaces the API key, and the password, user name and secret query values of the URL, in any text. */
  redact(text: string): string;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  backoffBaseMs: number;
  onRetry: OpenAiCompatibleOptions['onRetry'];
}

/** Answers in the order given, one request at a time; each is cached the moment it arrives, so a failed run loses nothing. */
export async function fetchBaselineAnswers(prompts: { exampleId: string; prompt: string }[], options: OpenAiCompatibleOptions): Promise<BaselineAnswer[]> {
  const url = chatCompletionsUrl(options.baseUrl);
  const endpoint = urlForDisplay(url);
  const basicAuth =
    url.username || url.password ? Buffer.from(`${decodedUrlPart(url.username)}:${decodedUrlPart(url.password)}`).toString('base64') : undefined;
  const urlSecrets = secretsOfUrl(options.baseUrl);
  url.username = '';
  url.password = '';
  const toRequest = (prompt: string): ChatRequest => ({
    endpoint,
    model: options.model,
    prompt,
    temperature: options.temperature ?? 0,
    max_tokens: options.maxTokens ?? 64,
  });
  const settings: Settings = {
    apiKey: options.apiKey,
    url,
    basicAuth,
    redact: (text) => redactSecrets(redactSecrets(text, [options.apiKey], 'api key'), urlSecrets),
    timeoutMs: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 3,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 200,
    onRetry: options.onRetry,
  };
  // Offline replay only reads, so a read-only checkout of the cache works.
  if (!options.offline) await mkdir(options.cacheDir, { recursive: true });
  const answers: BaselineAnswer[] = [];
  for (const { exampleId, prompt } of prompts) {
    const request = toRequest(prompt);
    const file = cacheFile(options.cacheDir, request);
    const cachedAnswer = await readCachedAnswer(file);
    if (cachedAnswer !== undefined) {
      answers.push({ exampleId, answer: cachedAnswer, cached: true });
      continue;
    }
    if (options.offline) throw await cacheMissError(exampleId, prompts, toRequest, options);
    const answer = await requestWithRetries(request, exampleId, settings);
    // Atomic, so an interrupted run never leaves a half-written entry that a replay would trust.
    await atomicWrite(file, `${JSON.stringify({ request, answer }, null, 2)}\n`);
    answers.push({ exampleId, answer, cached: false });
  }
  return answers;
}

/**
 * <base>/chat/completions, built with the URL API: trailing slashes of the base path are one, and the base URL's
 * query (an api-version, or a key some gateways take there) stays on the request.
 */
export function chatCompletionsUrl(baseUrl: string): URL {
  const base = new URL(baseUrl);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/`;
  const url = new URL('chat/completions', base);
  url.search = base.search;
  return url;
}

/** Counts every miss, not just the first, so one error tells how much of the cache is missing. */
async function cacheMissError(
  exampleId: string,
  prompts: { prompt: string }[],
  toRequest: (prompt: string) => ChatRequest,
  options: OpenAiCompatibleOptions,
): Promise<BaselineError> {
  let missing = 0;
  for (const { prompt } of prompts) {
    if ((await readCachedAnswer(cacheFile(options.cacheDir, toRequest(prompt)))) === undefined) missing++;
  }
  return new BaselineError(
    'CACHE_MISS',
    exampleId,
    `no cached answer in ${options.cacheDir} for model "${options.model}" at ${toRequest('').endpoint} (${missing} of ${prompts.length} examples missing; offline mode makes no requests)`,
    'run once with offline off and the endpoint reachable to fill the cache; the cache key includes the URL, model, prompt, temperature and maxTokens, so those must match the run that filled it',
  );
}

function cacheFile(cacheDir: string, request: ChatRequest): string {
  // Keys sorted so the hash does not depend on property order; every field is a primitive, so a flat sort is canonical.
  const canonical = JSON.stringify(request, Object.keys(request).sort());
  return join(cacheDir, `${sha256Text(canonical)}.json`);
}

/** A missing or unreadable entry is a miss: it is fetched again and overwritten. So is one that is not a regular file or is oversized. */
async function readCachedAnswer(file: string): Promise<string | undefined> {
  try {
    const entry = JSON.parse((await readBoundedFile(file, { what: 'cached baseline answer', maxBytes: FILE_LIMITS.baselineAnswer })).toString('utf8')) as {
      answer?: unknown;
    };
    return typeof entry.answer === 'string' ? entry.answer : undefined;
  } catch {
    return undefined;
  }
}

type AttemptOutcome =
  | { ok: true; answer: string }
  | { ok: false; retryable: boolean; code: BaselineErrorCode; problem: string; fix: string; status?: number; retryAfterMs?: number };

async function requestWithRetries(request: ChatRequest, exampleId: string, settings: Settings): Promise<string> {
  const redact = settings.redact;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptRequest(request, settings);
    if (outcome.ok) return outcome.answer;
    if (!outcome.retryable || attempt > settings.maxRetries) {
      const problem = outcome.retryable ? `${outcome.problem} (gave up after ${attempt} attempts)` : outcome.problem;
      throw new BaselineError(outcome.code, exampleId, redact(problem), redact(outcome.fix), outcome.status);
    }
    // Exponential backoff without jitter: requests are sequential from one client, so there is no herd to spread out.
    const backoffMs = settings.backoffBaseMs * 2 ** (attempt - 1);
    const waitMs = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, settings.maxRetryAfterMs) : backoffMs;
    settings.onRetry?.({ exampleId, attempt, waitMs, reason: redact(outcome.problem) });
    await sleep(waitMs);
  }
}

async function attemptRequest(request: ChatRequest, settings: Settings): Promise<AttemptOutcome> {
  const signal = AbortSignal.timeout(settings.timeoutMs);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  else if (settings.basicAuth) headers.authorization = `Basic ${settings.basicAuth}`;
  const body = JSON.stringify({
    model: request.model,
    messages: [{ role: 'user', content: request.prompt }],
    temperature: request.temperature,
    max_tokens: request.max_tokens,
  });
  let status: number;
  let retryAfter: string | null;
  let text: string;
  try {
    const response = await fetch(settings.url, { method: 'POST', headers, body, signal });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    // A server may echo the key (in an error, or in an answer): it is gone before anything reads the reply.
    text = settings.redact(await response.text());
  } catch (error) {
    if (signal.aborted) {
      return {
        ok: false,
        retryable: true,
        code: 'TIMEOUT',
        problem: `no complete answer from ${request.endpoint} within ${settings.timeoutMs} ms`,
        fix: 'raise timeoutMs, or check that the server is not overloaded',
      };
    }
    return {
      ok: false,
      retryable: true,
      code: 'NETWORK',
      problem: `could not reach ${request.endpoint} (${networkCause(error)})`,
      fix: `check the base URL (${DEFAULT_BASE_URL_ENV}, or the variable named by the suite's baseline.baseUrlEnv) and the network; set offline to replay cached answers`,
    };
  }
  if (status === 429) {
    return {
      ok: false,
      retryable: true,
      code: 'RATE_LIMITED',
      status,
      problem: `HTTP 429 rate limited${serverMessage(text)}`,
      fix: 'wait and re-run (answers already fetched are cached), raise maxRetries, or ask the provider for a higher rate limit',
      ...retryAfterField(retryAfter),
    };
  }
  if (status >= 500) {
    return {
      ok: false,
      retryable: true,
      code: 'SERVER_ERROR',
      status,
      problem: `HTTP ${status} from the server${serverMessage(text)}`,
      fix: 'the server is failing: re-run later (answers already fetched are cached)',
    };
  }
  if (status < 200 || status >= 300) {
    return { ok: false, retryable: false, code: 'HTTP_ERROR', status, problem: `HTTP ${status}${serverMessage(text)}`, fix: httpErrorFix(status) };
  }
  // A malformed 200 is not retried: it almost always means the URL points at something that is not a
  // chat-completions API (a web page, a proxy, another protocol), and asking again gets the same reply.
  const answer = answerContent(text);
  if (typeof answer !== 'string') {
    return {
      ok: false,
      retryable: false,
      code: 'BAD_RESPONSE',
      status,
      problem: answer.problem,
      fix: 'check that the base URL points at an OpenAI-compatible API (it usually ends in /v1) and that the model answers with text',
    };
  }
  return { ok: true, answer: settings.redact(answer).trim() };
}

function answerContent(text: string): string | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `the server sent invalid JSON with status 200 (it begins ${JSON.stringify(text.slice(0, 80))})` };
  }
  const content = (json as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') return { problem: 'the response has no text at choices[0].message.content' };
  return content;
}

/** `: <message>` from an OpenAI-style `{ error: { message } }` body, or nothing. */
function serverMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' && message ? `: ${message}` : '';
  } catch {
    return '';
  }
}

function httpErrorFix(status: number): string {
  if (status === 401 || status === 403) return `check the API key: set ${DEFAULT_API_KEY_ENV} (or the variable named by the suite's baseline.apiKeyEnv)`;
  if (status === 404) return 'check the base URL (it usually ends in /v1) and the model name';
  return 'check the model name and the request settings (maxTokens, temperature)';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 section 10.2.3). */
function retryAfterField(header: string | null): { retryAfterMs?: number } {
  if (header === null) return {};
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return { retryAfterMs: Number(trimmed) * 1000 };
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - Date.now()) };
}

/** Node's fetch wraps the real reason (ECONNREFUSED, ENOTFOUND, ...) in a generic "fetch failed". */
function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
