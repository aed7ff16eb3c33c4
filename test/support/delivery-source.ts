/**
 * A delivery source for tests of `ipslink pull` and nightly runs: an HTTP
 * server on 127.0.0.1 that serves index.json, delivery.json and files, and
 * misbehaves per path on demand (503s, stalls, cut-off bodies, ignored
 * ranges, wrong bodies, other statuses, redirects).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the source does wrong for one path; counts are per path, over the server's life. */
export interface Misbehaviour {
  /** Answer 503 to the first this many requests. */
  failFirst?: number;
  /** Go silent on the first `times` requests: before the headers, or after `afterBytes` of the body. */
  stall?: { times: number; afterBytes?: number };
  /** Cut the connection after this many body bytes, on the first request. */
  truncateAfterBytes?: number;
  /** Answer a Range request with the whole file (200). */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the file. */
  body?: Buffer;
  status?: number;
  redirectTo?: string;
  /** Runs when the request is about to be served. */
  beforeServe?: () => void;
}

export interface LoggedRequest {
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
}

export interface SourceServer {
  url: string;
  requests: LoggedRequest[];
  requestsFor(path: string): LoggedRequest[];
  misbehave(path: string, misbehaviour: Misbehaviour): void;
  close(): Promise<void>;
}

/** Serves what `contentOf` gives for a path (undefined: 404) on 127.0.0.1; with `token`, only to that bearer. */
export async function startDeliverySource(
  contentOf: (path: string) => Buffer | undefined,
  options: { token?: string } = {},
): Promise<SourceServer> {
  const requests: LoggedRequest[] = [];
  const misbehaviours = new Map<string, Misbehaviour>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://source').pathname.slice(1);
    const logged: LoggedRequest = { path, range: request.headers.range, authorization: request.headers.authorization, status: 0 };
    requests.push(logged);
    const served = requests.filter((earlier) => earlier.path === path).length;
    const misbehaviour = misbehaviours.get(path) ?? {};
    const answer = (status: number, headers: Record<string, string | number> = {}) => {
      logged.status = status;
      response.writeHead(status, headers);
    };
    const answerEmpty = (status: number, headers: Record<string, string> = {}) => {
      answer(status, headers);
      response.end();
    };
    if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) return answerEmpty(401);
    if (misbehaviour.status !== undefined) return answerEmpty(misbehaviour.status);
    if (misbehaviour.redirectTo !== undefined) return answerEmpty(302, { location: misbehaviour.redirectTo });
    if (served <= (misbehaviour.failFirst ?? 0)) return answerEmpty(503);
    misbehaviour.beforeServe?.();
    const isStalled = served <= (misbehaviour.stall?.times ?? 0);
    if (isStalled && misbehaviour.stall?.afterBytes === undefined) return;
    const body = misbehaviour.body ?? contentOf(path);
    if (body === undefined) return answerEmpty(404);
    const start = misbehaviour.ignoreRange ? 0 : Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
    const part = body.subarray(start);
    if (start > 0) answer(206, { 'content-length': part.length, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    else answer(200, { 'content-length': part.length });
    if (isStalled) return response.write(part.subarray(0, misbehaviour.stall?.afterBytes));
    if (misbehaviour.truncateAfterBytes !== undefined && served === 1) {
      // A pause before the cut: fetch drops body bytes it has queued but not handed out when the stream errors.
      return response.write(part.subarray(0, misbehaviour.truncateAfterBytes), () => setTimeout(() => response.socket?.destroy(), 50));
    }
    response.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const source: SourceServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    requestsFor: (path) => requests.filter((request) => request.path === path),
    misbehave: (path, misbehaviour) => misbehaviours.set(path, misbehaviour),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return source;
}
