import { InvalidArgumentError, Option, type Command } from 'commander';
import { postComment } from '../github/pull-request-comment.ts';
import { log } from './common.ts';

export function commentCommand(program: Command): void {
  program
    .command('comment')
    .description("Post the gate's Markdown summary on the pull request, or update the comment an earlier run posted (GitHub REST API, $GITHUB_TOKEN).")
    .argument('<summary.md>', 'the Markdown summary edgebench gate or compare wrote')
    .addOption(new Option('--pr <number>', 'pull request number (default: from $GITHUB_EVENT_PATH)').argParser(prArg))
    .addOption(new Option('--report-url <url>', 'link to the full report (default: the workflow run page)'))
    .addHelpText(
      'after',
      `
Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL, GITHUB_SERVER_URL and
GITHUB_RUN_ID as GitHub Actions sets them. The comment starts with a hidden marker; a second run
finds it and edits the comment instead of adding another. The token is never printed.

Exit codes:
  0  posted or updated
  2  missing token, repository or pull request, or GitHub refused (the message says why)`,
    )
    .action(async (file: string, flags: { pr?: number; reportUrl?: string }) => {
      log(await postComment({ markdownFile: file, env: process.env, pullRequest: flags.pr, reportUrl: flags.reportUrl, log }));
    });
}

function prArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('use a pull request number, e.g. 42');
  return n;
}
