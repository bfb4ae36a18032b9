/**
 * ssh joins its command arguments with spaces into one string that the
 * board's login shell parses, so an argument array alone does not keep a value
 * in one piece there. Every value edgebench puts in a remote command (paths
 * from devices.yaml, file names of a variant, hashes) goes through shellWord;
 * the commands' fixed parts are constants.
 */

/**
 * One POSIX shell word that the shell reads back as exactly `text`: the text
 * in single quotes, where nothing is special, and each ' written as '\'' (close
 * the quotes, an escaped quote, reopen them).
 */
export function shellWord(text: string): string {
  if (text.includes('\0')) throw new Error('a shell word cannot hold a NUL character');
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `remoteDir` with a leading ~ replaced by the login's home directory, as the board reported it. */
export function resolveHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? `${home.replace(/\/+$/, '')}/${path.slice(2)}` : path;
}
