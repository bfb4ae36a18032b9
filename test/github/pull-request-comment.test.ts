import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeGitHub, type FakeGitHub } from '../helpers/fake-github.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const TOKEN = 'ghs_TopSecretTokenValue1234567890';

let github: FakeGitHub;
let project: TempProject;
beforeAll(async () => {
  github = await fakeGitHub();
  project = await tempProject();
  await project.write('event.json', JSON.stringify({ action: 'synchronize', number: 7, pull_request: { number: 7 } }));
});
afterAll(async () => {
  await github.close();
  await project.cleanup();
});

/** The variables a GitHub Actions runner sets for a pull_request job, pointed at the fake API. */
const runnerEnv = () => ({
  GITHUB_ACTIONS: 'true',
  GITHUB_TOKEN: TOKEN,
  GITHUB_REPOSITORY: 'owner/repo',
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_EVENT_PATH: project.path('event.json'),
  GITHUB_API_URL: github.url,
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '123456',
  GITHUB_STEP_SUMMARY: '',
});
const comment = (file: string, env: Record<string, string> = runnerEnv()) =>
  execa(process.execPath, [BIN, 'comment', file], { cwd: project.dir, reject: false, env, extendEnv: false });

describe('edgebench comment against a GitHub REST API on 127.0.0.1', () => {
  it('creates the comment, then a second run updates the same comment instead of adding another', async () => {
    await project.write('summary.md', '## ❌ edgebench gate: FAIL — first run\n');
    const first = await comment('summary.md');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/commented on pull request #7: https:\/\/github\.com\/owner\/repo\/pull\/7#issuecomment-/);
    // Someone else's comment on the same pull request must be left alone.
    github.comments.set(5, { id: 5, issue: 7, body: 'LGTM' });
    await project.write('summary.md', '## ✅ edgebench gate: PASS — second run\n');
    const second = await comment('summary.md');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/updated the comment on pull request #7/);

    expect(github.requests.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`)).toEqual([
      'GET /repos/owner/repo/issues/7/comments',
      'POST /repos/owner/repo/issues/7/comments',
      'GET /repos/owner/repo/issues/7/comments',
      `PATCH /repos/owner/repo/issues/comments/${[...github.comments.keys()].find((id) => id !== 5)}`,
    ]);
    expect(github.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const ours = [...github.comments.values()].filter((c) => c.id !== 5);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toMatch(/^<!-- edgebench-gate -->\n## ✅ edgebench gate: PASS — second run/);
    expect(ours[0]!.body).toMatch(/\[Full report\]\(https:\/\/github\.com\/owner\/repo\/actions\/runs\/123456\)/);
    expect(github.comments.get(5)!.body).toBe('LGTM');
    for (const output of [first.stdout, first.stderr, second.stdout, second.stderr]) expect(output).not.toContain(TOKEN);
  });

  it('a refusal by GitHub exits 2 with its message and the fix, never the token', async () => {
    github.failWith = { status: 403, message: `Resource not accessible by integration (token ${TOKEN})` };
    try {
      const refused = await comment('summary.md');
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/HTTP 403: Resource not accessible by integration/);
      expect(refused.stderr).toMatch(/pull-requests: write/);
      expect(refused.stdout + refused.stderr).not.toContain(TOKEN);
    } finally {
      delete github.failWith;
    }
  });

  it('without a token, or outside a pull request, nothing is sent (exit 2)', async () => {
    const before = github.requests.length;
    const { GITHUB_TOKEN: _, ...noToken } = runnerEnv();
    const missing = await comment('summary.md', noToken);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/GITHUB_TOKEN.*not set/s);
    await project.write('push.json', JSON.stringify({ ref: 'refs/heads/main' }));
    const push = await comment('summary.md', { ...runnerEnv(), GITHUB_EVENT_PATH: project.path('push.json') });
    expect(push.exitCode).toBe(2);
    expect(push.stderr).toMatch(/not a pull request/);
    expect(github.requests.length).toBe(before);
  });
});
