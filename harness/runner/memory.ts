import { readFileSync } from 'node:fs';

export interface MemoryReading {
  bytes: number;
  method: string;
}

/** Reads a kB field such as VmHWM (peak resident set) or VmRSS from /proc/self/status. */
function procStatusField(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function currentRss(): MemoryReading {
  const bytes = procStatusField('VmRSS');
  if (bytes !== undefined) return { bytes, method: 'VmRSS from /proc/self/status' };
  return { bytes: process.memoryUsage().rss, method: 'process.memoryUsage().rss' };
}

/** Peak resident set of this process since it started. */
export function peakRss(): MemoryReading {
  const bytes = procStatusField('VmHWM');
  if (bytes !== undefined) return { bytes, method: 'VmHWM from /proc/self/status' };
  // getrusage(2) ru_maxrss: reported by Node in kB on every platform it supports.
  return { bytes: process.resourceUsage().maxRSS * 1024, method: 'getrusage ru_maxrss' };
}
