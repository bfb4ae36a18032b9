import { posix } from 'node:path';
import type { DeviceFiles } from './probe.ts';

/**
 * Runs a constant POSIX sh script on the device with `args` as its positional
 * parameters ($1, $2, ...) and returns its stdout; throws, with a message that
 * names the device and the fix, when the device cannot be reached.
 */
export type RemoteScript = (script: string, args: string[]) => Promise<string>;

/** Separates the files in the read script's answer (ASCII record separator: never in a sysfs or procfs file). */
const RECORD = '\x1e';

/** What one file's record is: a status character ("+" read, "-" missing or a directory, "!" there but unreadable), the text when read, the record separator. */
const ONE_FILE = [
  '  if [ -d "$p" ] || [ ! -e "$p" ]; then printf -',
  '  elif [ ! -r "$p" ]; then printf \'!\'',
  '  else',
  '    printf +',
  '    while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done 2>/dev/null <"$p"',
  '  fi',
  "  printf '\\036'",
];

/**
 * Prints each path's record, the paths being the positional parameters. Only
 * shell builtins read the files (read, printf in dash and bash), so a read
 * forks nothing on the board beyond this one shell. A sysfs attribute with
 * nothing to report now (EINVAL, ENODATA) reads as empty, which the probes
 * take as no value.
 */
export const READ_SCRIPT = ['for p do', ...ONE_FILE, 'done'].join('\n');

/**
 * The same records for paths arriving on stdin, one a line; an empty line
 * ends a request and is answered with a group separator. Paths are data read
 * with read -r, never words a shell parses. It ends when its stdin closes
 * (edgebench exited, or closed it).
 */
export const READER_SCRIPT = ['while IFS= read -r p; do', '  if [ -z "$p" ]; then printf \'\\035\'; continue; fi', ...ONE_FILE, 'done'].join('\n');

/** Prints the names in directory $1, hidden ones included, one a line; nothing when it does not exist. */
export const LIST_SCRIPT = [
  'cd -- "$1" 2>/dev/null || exit 0',
  'for f in * .[!.]* ..?*; do',
  '  if [ -e "$f" ] || [ -L "$f" ]; then printf \'%s\\n\' "$f"; fi',
  'done',
].join('\n');

/** The read script's answer, by path: the text, undefined when missing, an Error when unreadable. */
export function parseReadAnswer(answer: string, paths: string[], where: string): Map<string, string | undefined | Error> {
  const records = answer.split(RECORD);
  // A complete answer is one record per path and the empty rest after the last separator.
  if (records.length !== paths.length + 1 || records.at(-1) !== '') {
    throw new Error(`${where} answered ${records.length - 1} of ${paths.length} files: the answer was cut short (is the device's shell a POSIX sh?)`);
  }
  return new Map<string, string | undefined | Error>(
    paths.map((path, i): [string, string | undefined | Error] => {
      const record = records[i]!;
      const text = record.slice(1).replace(/\r?\n$/, '');
      if (record[0] === '+') return [path, text];
      if (record[0] === '!') return [path, new Error(`${path} on ${where} exists but cannot be read (permission denied)`)];
      return [path, undefined];
    }),
  );
}

/**
 * A device's files behind a round trip (a board over SSH, a phone over adb),
 * read by constant scripts whose paths are positional arguments (or, given a
 * `reader`, lines on a long-lived reader's stdin), never a shell string built
 * from configuration. Discovery (a probe's start, the
 * thermal gate) reads live, one round trip per call; every path read is
 * remembered, and refresh() fetches all of them in one round trip, after
 * which reads answer from that snapshot (so whoever reads calls refresh
 * first: the sampler every tick, the thermal gate every poll). Paths are absolute on the device and
 * read under `root` there (devices.yaml probes.root).
 */
export function snapshotFiles(where: string, root: string, run: RemoteScript, reader?: (paths: string[]) => Promise<string>): DeviceFiles {
  const at = (path: string) => posix.join(root, path);
  const known = new Set<string>();
  const lists = new Map<string, Promise<string[]>>();
  let snapshot: Map<string, string | undefined | Error> | 'failed' | undefined;

  const answer = (value: string | undefined | Error) => {
    if (value instanceof Error) throw value;
    return value;
  };
  async function readLive(paths: string[]) {
    const absolute = paths.map(at);
    return parseReadAnswer(await (reader ? reader(absolute) : run(READ_SCRIPT, absolute)), paths, where);
  }

  return {
    where,
    async read(path) {
      known.add(path);
      if (snapshot === 'failed') return undefined;
      if (snapshot?.has(path)) return answer(snapshot.get(path));
      return answer((await readLive([path])).get(path));
    },
    list(dir) {
      // A device's sysfs layout does not change during a cell; the values in it do.
      let names = lists.get(dir);
      if (!names) {
        names = run(LIST_SCRIPT, [at(dir)]).then((out) => out.split('\n').filter(Boolean).sort());
        lists.set(dir, names);
        names.catch(() => lists.delete(dir));
      }
      return names;
    },
    async refresh() {
      if (known.size === 0) return;
      try {
        snapshot = await readLive([...known]);
      } catch (error) {
        // The sample has no values; the next tick tries again.
        snapshot = 'failed';
        throw error;
      }
    },
  };
}
