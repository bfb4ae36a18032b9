import { readFileSync } from 'node:fs';

export interface MemoryReading {
  bytes: number;
  method: string;
}

/** A kB field of a /proc/<pid>/status text, such as VmHWM (peak resident set) or VmRSS, in bytes. */
export function statusField(statusText: string, field: 'VmHWM' | 'VmRSS'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(statusText);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The field for a process of this machine; undefined when it has gone, or /proc is not Linux's. */
export function procStatusBytes(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    return statusField(readFileSync(`/proc/${pid}/status`, 'utf8'), field);
  } catch {
    return undefined;
  }
}

export function currentRss(): MemoryReading {
  const bytes = procStatusBytes('self', 'VmRSS');
  if (bytes !== undefined) return { bytes, method: 'VmRSS from /proc/self/status' };
  return { bytes: process.memoryUsage().rss, method: 'process.memoryUsage().rss' };
}

/** Peak resident set of this process since it started. */
export function peakRss(): MemoryReading {
  const bytes = procStatusBytes('self', 'VmHWM');
  if (bytes !== undefined) return { bytes, method: 'VmHWM from /proc/self/status' };
  // getrusage(2) ru_maxrss: reported by Node in kB on every platform it supports.
  return { bytes: process.resourceUsage().maxRSS * 1024, method: 'getrusage ru_maxrss' };
}
