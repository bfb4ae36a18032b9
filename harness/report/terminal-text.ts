import { UNSAFE_CHARACTERS } from '../core/printable-text.ts';

/**
 * Text from configs, results files, datasets and models, made safe to print: control characters become visible
 * escapes (ESC as \u001b), so a name cannot clear the screen, retitle the window, move the cursor or start a
 * fake line; under GitHub Actions no printed line can be taken for a workflow command (::error, ::stop-commands).
 */

const escapeOf = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of text: every unsafe character, newlines included, as a \uXXXX escape. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, escapeOf);
}

/** Text of several lines: newlines kept, every other unsafe character escaped. */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => (c === '\n' ? c : escapeOf(c)));
}

/**
 * Workflow-command syntax made inert: "::" opening a line (the runner trims leading blanks first) and the older
 * "##[" form anywhere, each with one character escaped as above, which the runner does not read as a command.
 */
export function inertWorkflowCommands(text: string): string {
  return text.replace(/^([ \t]*):(?=:)/gm, '$1\\u003a').replace(/##\[/g, '#\\u0023[');
}

export const underGitHubActions = (env: NodeJS.ProcessEnv = process.env) => env.GITHUB_ACTIONS === 'true';

/** Anything edgebench prints: safeLines, and inertWorkflowCommands under GitHub Actions. */
export function forTerminal(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const safe = safeLines(text);
  return underGitHubActions(env) ? inertWorkflowCommands(safe) : safe;
}

/** Prints to stdout through forTerminal. edgebench's own workflow commands are printed with console.log instead. */
export function print(text: string): void {
  process.stdout.write(`${forTerminal(text)}\n`);
}
