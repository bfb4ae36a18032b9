import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  /** Issue comments by id, as the API holds them. */
  comments: Map<number, { id: number; issue: number; body: string }>;
  /** Make every request answer with this status and GitHub's error body. */
  failWith?: { status: number; message: string };
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/**
 * An HTTP server on 127.0.0.1 that answers the issue-comment endpoints of GitHub's REST API in GitHub's
 * formats (list, create, update; 401/404 bodies with a message) and records every request it receives.
 */
export async function fakeGitHub(): Promise<FakeGitHub> {
  const state: FakeGitHub = { url: '', requests: [], comments: new Map(), close: async () => {} };
  let nextId = 1_000_001;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const url = request.url ?? '';
      state.requests.push({ method: request.method ?? '', url, authorization: request.headers.authorization, body });
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(payload));
      };
      if (state.failWith) return send(state.failWith.status, { message: state.failWith.message, documentation_url: 'https://docs.github.com/rest' });
      if (!request.headers.authorization?.startsWith('Bearer ')) return send(401, { message: 'Requires authentication' });
      const html = (id: number, issue: number) => `https://github.com/owner/repo/pull/${issue}#issuecomment-${id}`;
      const shape = (c: { id: number; issue: number; body: string }) => ({
        id: c.id,
        node_id: `IC_${c.id}`,
        url: `${state.url}/repos/owner/repo/issues/comments/${c.id}`,
        html_url: html(c.id, c.issue),
        body: c.body,
        user: { login: 'github-actions[bot]', type: 'Bot' },
        created_at: '2026-12-05T12:00:00Z',
        updated_at: '2026-12-05T12:00:00Z',
      });
      const list = /^\/repos\/owner\/repo\/issues\/(\d+)\/comments(\?.*)?$/.exec(url);
      if (list && request.method === 'GET') {
        const page = Number(new URLSearchParams(list[2]?.slice(1) ?? '').get('page') ?? '1');
        const all = [...state.comments.values()].filter((c) => c.issue === Number(list[1]));
        return send(200, all.slice((page - 1) * 100, page * 100).map(shape));
      }
      if (list && request.method === 'POST') {
        const comment = { id: nextId++, issue: Number(list[1]), body: (body as { body: string }).body };
        state.comments.set(comment.id, comment);
        return send(201, shape(comment));
      }
      const one = /^\/repos\/owner\/repo\/issues\/comments\/(\d+)$/.exec(url);
      if (one && request.method === 'PATCH') {
        const comment = state.comments.get(Number(one[1]));
        if (!comment) return send(404, { message: 'Not Found' });
        comment.body = (body as { body: string }).body;
        return send(200, shape(comment));
      }
      send(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}
