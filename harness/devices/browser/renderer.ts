import { writeFileSync } from 'node:fs';
import { descendantsOf, isAlive, readProcess } from '../../system/processes.ts';
import { procStatusBytes } from '../../runner/memory.ts';
import type { MemoryReading } from '../../core/runner-protocol.ts';

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
 * the one that used the most CPU since the candidates were listed (before the
 * runtime started), once the model has loaded (onnxruntime-web's WebAssembly and
 * the model are by far the most work any renderer of this browser does). Until then the busiest so far
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

export const RENDERER_RSS_METHOD = "VmRSS of the page's Chromium renderer process from /proc/<pid>/status";

export function rendererPeakMethod(peakWasReset: boolean): string {
  const what = "VmHWM of the page's Chromium renderer process (JS heap, WebAssembly memory, onnxruntime-web threads) from /proc/<pid>/status";
  return peakWasReset
    ? `${what}, peak reset (clear_refs 5) just before the model loaded`
    : `${what}, peak since the renderer started (clear_refs could not be written)`;
}

/**
 * How the driver reads the page's memory around a cell: from this machine's
 * /proc when the browser runs here, or not at all (a phone, a remote grid),
 * with the reason recorded in the results instead of a number.
 */
export interface PageMemory {
  /** Why the page's memory is not measured; undefined when it is. */
  readonly unavailable?: string;
  /** Called just before the runtime starts: lists the processes the page may be running in. */
  beforeStart(): void;
  /** Called just before the model loads: resets peaks and reads the starting size. */
  beforeLoad(): void;
  /** Called once the model has loaded: the page's process and its size before and after loading, where known. */
  afterLoad(): { pid?: number; rssBeforeLoad?: MemoryReading; rssAfterLoad?: MemoryReading };
  /** The page's peak since beforeLoad (or since its process started, as the method says). */
  peak(): Promise<MemoryReading | undefined> | MemoryReading | undefined;
  /** The page's process, if it has exited (the page crashed or was killed). */
  exited(): number | undefined;
}

/** The renderer's VmRSS and VmHWM, found among the descendants of `rootPid` (chromedriver or the browser). */
export function rendererMemory(rootPid: number): PageMemory {
  let renderer: PageRenderer | undefined;
  let peakWasReset = new Map<number, boolean>();
  let rssBefore = new Map<number, number | undefined>();
  let candidates: { pid: number; cpuTicks: number }[] = [];
  let pid: number | undefined;
  return {
    beforeStart() {
      candidates = rendererProcesses(rootPid);
      if (candidates.length === 0)
        throw new Error(`no Chromium renderer process was found among the descendants of pid ${rootPid} in /proc: the page's memory cannot be measured`);
      // The CPU the runtime's start uses (compiling its WebAssembly) counts towards telling the page's renderer apart.
      renderer = new PageRenderer(candidates);
    },
    beforeLoad() {
      // Which renderer is the page's shows once the model has loaded, so every renderer's peak is reset and its size read now.
      peakWasReset = new Map(candidates.map(({ pid }) => [pid, resetPeak(pid)]));
      rssBefore = new Map(candidates.map(({ pid }) => [pid, procStatusBytes(pid, 'VmRSS')]));
    },
    afterLoad() {
      pid = renderer?.identify();
      const before = pid !== undefined ? rssBefore.get(pid) : undefined;
      if (pid === undefined || before === undefined)
        throw new Error("the page's renderer process could not be told apart from Chromium's other processes: its memory cannot be measured");
      return {
        pid,
        rssBeforeLoad: { bytes: before, method: RENDERER_RSS_METHOD },
        rssAfterLoad: { bytes: procStatusBytes(pid, 'VmRSS') ?? 0, method: RENDERER_RSS_METHOD },
      };
    },
    peak() {
      const bytes = pid !== undefined ? procStatusBytes(pid, 'VmHWM') : undefined;
      return bytes !== undefined ? { bytes, method: rendererPeakMethod(peakWasReset.get(pid!) ?? false) } : undefined;
    },
    exited: () => renderer?.exited(),
  };
}

/** For a browser on another machine: no figure, only the reason. */
export function unmeasuredMemory(reason: string): PageMemory {
  return { unavailable: reason, beforeStart() {}, beforeLoad() {}, afterLoad: () => ({}), peak: () => undefined, exited: () => undefined };
}
