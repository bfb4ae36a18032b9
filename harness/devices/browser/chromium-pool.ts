import type { ChromiumSession } from '../../browser/chromium.ts';
import { isAlive } from '../../system/processes.ts';

/**
 * Chromium sessions kept open between a browser device's cells. Starting Chromium and chromedriver takes about
 * 2 s on a 2-core machine, as long as a small model's whole cell; what a cell measures lives in its page's
 * renderer process, and each cell gets a new tab on a site of its own (loopback-site.ts), which Chromium runs in
 * a new renderer with nothing cached. Only a browser whose cell ended cleanly (its tab closed, its renderer gone)
 * comes back here; one whose cell failed, timed out or was stopped is closed by the cell.
 *
 * The driver's release() closes a device's idle browsers when the run ends; a browser left idle for IDLE_MS is
 * closed anyway, so one whose run never called release (a caller that runs cells by hand) does not outlive it.
 */
const IDLE_MS = 60_000;

interface Idle {
  session: ChromiumSession;
  timer: NodeJS.Timeout;
}

export class ChromiumPool {
  private readonly idle = new Map<string, Idle[]>();

  constructor(private readonly idleMs = IDLE_MS) {}

  /** An idle browser for `key` whose chromedriver is still running, taken out of the pool; undefined if none. */
  take(key: string): ChromiumSession | undefined {
    const list = this.idle.get(key) ?? [];
    for (let entry = list.shift(); entry; entry = list.shift()) {
      clearTimeout(entry.timer);
      if (entry.session.driverPid !== undefined && isAlive(entry.session.driverPid)) return entry.session;
      void entry.session.close().catch(() => undefined);
    }
    return undefined;
  }

  /** Keeps a browser whose cell ended cleanly for the next cell of `key`. */
  keep(key: string, session: ChromiumSession): void {
    const list = this.idle.get(key) ?? [];
    this.idle.set(key, list);
    const entry: Idle = {
      session,
      timer: setTimeout(() => {
        const at = list.indexOf(entry);
        if (at >= 0) list.splice(at, 1);
        void session.close().catch(() => undefined);
      }, this.idleMs),
    };
    list.push(entry);
  }

  /** Closes every idle browser of `key` and waits until they have exited. */
  async closeAll(key: string): Promise<void> {
    const list = this.idle.get(key) ?? [];
    this.idle.delete(key);
    await Promise.all(
      list.map(({ session, timer }) => {
        clearTimeout(timer);
        return session.close().catch(() => undefined);
      }),
    );
  }

  /** How many browsers of `key` are idle. */
  size(key: string): number {
    return this.idle.get(key)?.length ?? 0;
  }
}
