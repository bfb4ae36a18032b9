import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/errors.ts';
import { REDACTED } from '../secrets/redact.ts';

/** The hidden line that finds edgebench's comment again, so a re-run edits it instead of adding another. */
export const COMMENT_MARKER = '<!-- edgebench-gate -->';
/** GitHub refuses comments longer than 65,536 characters. */
const MAX_COMMENT_CHARS = 65_000;

export interface CommentOptions {
  markdownFile: string;
  env: NodeJS.ProcessEnv;
  /** The pull request; default: the one of the GitHub Actions event ($GITHUB_EVENT_PATH). */
  pullRequest?: number;
  /** The full report; default: the workflow run's page, where the report artifact is. */
  reportUrl?: string;
  log(line: string): void;
}

interface IssueComment {
  id: number;
  body?: string;
  html_url?: string;
}

/**
 * Posts the gate's Markdown summary as a comment on the pull request, or
 * updates the comment an earlier run posted (found by COMMENT_MARKER), through
 * GitHub's REST API (issues/comments) with $GITHUB_TOKEN. The token goes into
 * the Authorization header only; no message ever holds it. Returns what was done.
 */
export async function postComment(options: CommentOptions): Promise<string> {
  const { env } = options;
  const token = env['GITHUB_TOKEN'];
  if (!token) throw new ConfigError('environment', 'GITHUB_TOKEN', 'not set', 'pass it to the step: env: {GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}}');
  const repository = env['GITHUB_REPOSITORY'];
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new ConfigError(
      'environment',
      'GITHUB_REPOSITORY',
      repository ? `not owner/name: ${JSON.stringify(repository)}` : 'not set',
      'run in GitHub Actions, or set it to owner/name',
    );
  const pullRequest = options.pullRequest ?? (await pullRequestOfEvent(env['GITHUB_EVENT_PATH']));
  const api = (env['GITHUB_API_URL'] ?? 'https://api.github.com').replace(/\/+$/, '');
  const summary = await readFile(options.markdownFile, 'utf8');
  const reportUrl = options.reportUrl ?? runPage(env);
  const link = reportUrl ? `\n\n[Full report](${reportUrl}) (the \`edgebench-report\` artifact of the workflow run)\n` : '';
  const cut = summary.length > MAX_COMMENT_CHARS ? `${summary.slice(0, MAX_COMMENT_CHARS)}\n\n… (cut: the full summary is in the report)\n` : summary;
  const body = `${COMMENT_MARKER}\n${cut}${link}`;

  const request = async (method: string, path: string, payload?: unknown): Promise<unknown> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'edgebench',
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    });
    const text = await response.text();
    if (!response.ok) {
      // GitHub's message says what is wrong (a token without pull-requests: write, a wrong repository); the token is never echoed.
      const message = (safeJson(text) as { message?: string } | undefined)?.message ?? text.slice(0, 200);
      throw new ConfigError(`GitHub API ${method} ${path}`, undefined, `HTTP ${response.status}: ${message.split(token).join(REDACTED)}`, PERMISSION_HINT);
    }
    return safeJson(text);
  };

  const base = `/repos/${repository}/issues/${pullRequest}/comments`;
  let existing: IssueComment | undefined;
  for (let page = 1; page <= 50 && !existing; page++) {
    const comments = (await request('GET', `${base}?per_page=100&page=${page}`)) as IssueComment[];
    existing = comments.find((c) => c.body?.startsWith(COMMENT_MARKER));
    if (comments.length < 100) break;
  }
  if (existing) {
    const updated = (await request('PATCH', `/repos/${repository}/issues/comments/${existing.id}`, { body })) as IssueComment;
    return `updated the comment on pull request #${pullRequest}${updated.html_url ? `: ${updated.html_url}` : ''}`;
  }
  const created = (await request('POST', base, { body })) as IssueComment;
  return `commented on pull request #${pullRequest}${created.html_url ? `: ${created.html_url}` : ''}`;
}

const PERMISSION_HINT =
  'give the job `permissions: {pull-requests: write}` and pass GITHUB_TOKEN; on a fork, comment from a pull_request_target or workflow_run job';

/** The workflow run's page, where its artifacts (the report) are, from the variables GitHub Actions sets. */
function runPage(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  return server && repository && runId ? `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}` : undefined;
}

async function pullRequestOfEvent(eventPath: string | undefined): Promise<number> {
  const hint = 'run on a pull_request event, or pass --pr <number>';
  if (!eventPath) throw new ConfigError('environment', 'GITHUB_EVENT_PATH', 'not set: no pull request to comment on', hint);
  const event = safeJson(await readFile(eventPath, 'utf8').catch(() => '')) as
    { pull_request?: { number?: unknown }; issue?: { number?: unknown } } | undefined;
  const number = event?.pull_request?.number ?? event?.issue?.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
    throw new ConfigError(eventPath, 'pull_request.number', 'the event is not a pull request', hint);
  return number;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
