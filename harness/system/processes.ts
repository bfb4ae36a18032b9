import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** R running, S sleeping, Z zombie (exited, not yet reaped), ... */
  state: string;
  /** Command-line arguments, argv[0] first. */
  args: string[];
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
}

/** One process from /proc, or undefined when it has gone (or /proc is not Linux's). */
export function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, state: fields[0]!, ppid: Number(fields[1]), args, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** Every process on this machine, from one pass over /proc (none where /proc is not Linux's). */
export function allProcesses(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+$/.test(name)).flatMap((name) => readProcess(Number(name)) ?? []);
}

/** Every live descendant of a process (children, grandchildren, ...), from one pass over /proc. */
export function descendantsOf(rootPid: number): ProcessEntry[] {
  const all = allProcesses();
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of all) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry]);
  const found: ProcessEntry[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** A process that has exited but is not yet reaped (a zombie) counts as gone. */
export function isAlive(pid: number): boolean {
  const entry = readProcess(pid);
  return entry !== undefined && entry.state !== 'Z';
}

/** Waits until none of the processes is alive; false if some still are after withinMs. */
export async function allExited(processes: { pid: number }[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (!processes.some(({ pid }) => isAlive(pid))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
