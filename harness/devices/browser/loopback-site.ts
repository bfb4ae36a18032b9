import { startPageServer, type PageServer, type Route } from './page-server.ts';

/**
 * Each page cell's server on a loopback address no earlier cell of this process used, so each cell's page is a
 * site of its own. Chromium keys what a page leaves behind by site: the renderer process (site isolation), the
 * HTTP cache partition and the WebAssembly code cache. A page on a new site therefore starts as cold as in a
 * freshly started browser, and the browser itself can stay open between cells (chromium-pool.ts).
 *
 * Every address in 127.0.0.0/8 is this machine on Linux, and Chromium treats all of them as potentially
 * trustworthy (the Secure Contexts spec's loopback rule), so the page stays cross-origin isolated. The port is
 * not part of a site, hence distinct addresses rather than distinct ports.
 */

/** 127.1.0.1 onwards; the last octet skips 0 and 255, which some stacks treat as network and broadcast. */
let used = 0;
function nextLoopbackHost(): string {
  const n = used++;
  const last = (n % 254) + 1;
  const rest = Math.floor(n / 254);
  return `127.${1 + (Math.floor(rest / 256) % 254)}.${rest % 256}.${last}`;
}

/**
 * A page server on a site of its own, or on 127.0.0.1 with `ownSite: false` where this system does not answer on
 * the rest of 127.0.0.0/8 (macOS configures only 127.0.0.1): the cell must then run in a browser of its own.
 */
export async function pageServerOnOwnSite(routes: ReadonlyMap<string, Route>): Promise<{ server: PageServer; ownSite: boolean }> {
  try {
    return { server: await startPageServer(routes, nextLoopbackHost()), ownSite: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw error;
    return { server: await startPageServer(routes), ownSite: false };
  }
}
