import { readFileSync, writeFileSync } from 'node:fs';
import { descendantsOf, isAlive, readProcess } from '../../browser/processes.ts';

/**
 * The page's memory as Linux counts it. performance.memory and CDP's JS heap
 * figures leave out WebAssembly memory, where onnxruntime-web keeps the model,
 * so they cannot be the peak RAM; the renderer process's VmHWM can.
 */

/** Chromium's renderer processes among the descendants of chromedriver, with their CPU time so far. */
export function rendererProcesses(driverPid: number): { pid: number; cpuTicks: number }[] {
  // Zygote-forked renderers rewrite their command line into one space-separated string.
  return descendantsOf(driverPid)
    .filter((p) => p.args.join(' ').includes('--type=renderer'))
    .map(({ pid, cpuTicks }) => ({ pid, cpuTicks }));
}

/**
 * Tells the page's renderer apart from the browser's other renderers: it is
 * the one that used the most CPU since the candidates were listed, once the
 * model has loaded (onnxruntime-web's WebAssembly and the model are by far the
 * most work any renderer of this browser does). Until then the busiest so far
 * stands in for it, so a page that dies while loading is noticed too.
 */
export class PageRenderer {
  private readonly startTicks: Map<number, number>;
  private readonly lastTicks: Map<number, number>;
  private pid: number | undefined;

  constructor(candidates: { pid: number; cpuTicks: number }[]) {
    this.startTicks = new Map(candidates.map((p) => [p.pid, p.cpuTicks]));
    this.lastTicks = new Map(this.startTicks);
  }

  /** Fixes the page's renderer as the busiest candidate now; undefined if there is none. */
  identify(): number | undefined {
    this.pid = this.busiest()?.pid;
    return this.pid;
  }

  /** The page's renderer (or before identify(), the busiest candidate so far) if it has exited. */
  exited(): number | undefined {
    if (this.pid !== undefined) return isAlive(this.pid) ? undefined : this.pid;
    const busiest = this.busiest();
    return busiest && !busiest.alive ? busiest.pid : undefined;
  }

  private busiest(): { pid: number; alive: boolean } | undefined {
    const used = [...this.startTicks].map(([pid, start]) => {
      const entry = readProcess(pid);
      const alive = entry !== undefined && entry.state !== 'Z';
      if (alive) this.lastTicks.set(pid, entry.cpuTicks);
      return { pid, alive, ticks: this.lastTicks.get(pid)! - start };
    });
    const [first, second] = used.sort((a, b) => b.ticks - a.ticks);
    // A tie names no one: right after the listing every renderer has used nothing yet.
    return first && (!second || first.ticks > second.ticks) ? first : undefined;
  }
}

/** Resets the process's VmHWM to its current resident set (writing 5 to clear_refs, Linux 4.0+). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const RENDERER_RSS_METHOD = 'VmRSS of the page\'s Chromium renderer process from /proc/<pid>/status';

export function rendererPeakMethod(peakWasReset: boolean): string {
  const what = 'VmHWM of the page\'s Chromium renderer process (JS heap, WebAssembly memory, onnxruntime-web threads) from /proc/<pid>/status';
  return peakWasReset ? `${what}, peak reset (clear_refs 5) just before the model loaded` : `${what}, peak since the renderer started (clear_refs could not be written)`;
}
