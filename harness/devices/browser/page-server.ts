import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one URL path serves: a file on disk, or text built in memory. */
export type Route = { contentType: string } & ({ file: string } | { body: string });

// Cross-origin isolation: onnxruntime-web's threads need SharedArrayBuffer, and
// performance.now() has 5 us resolution instead of 100 us. Every response carries it.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export interface PageServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  close(): Promise<void>;
}

/**
 * An http server on a loopback address (127.0.0.1 unless given another; a free port) that serves exactly the
 * routes it is given: a path not in the table is a 404, so no request reaches any other file.
 */
export async function startPageServer(routes: ReadonlyMap<string, Route>, host = '127.0.0.1'): Promise<PageServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const route = routes.get(path);
    if (!route || (request.method !== 'GET' && request.method !== 'HEAD')) return notFound(response);
    if ('body' in route) {
      const body = Buffer.from(route.body);
      response.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': route.contentType, 'Content-Length': body.length });
      return void response.end(request.method === 'HEAD' ? undefined : body);
    }
    stat(route.file).then(
      (info) => {
        response.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': route.contentType, 'Content-Length': info.size });
        if (request.method === 'HEAD') return void response.end();
        createReadStream(route.file)
          .on('error', () => response.destroy())
          .pipe(response);
      },
      () => notFound(response),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
}
