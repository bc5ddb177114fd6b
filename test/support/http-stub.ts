import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that plays the migration service (8082) or the metadata service
 * (8080) for the handlers: one route table, every request recorded, nothing mocked below the socket.
 */
export interface StubRoute {
  readonly status?: number;
  /** A string is sent as text/plain; anything else as JSON. */
  readonly body?: unknown;
  /** Answer only after this many milliseconds (a slow service). */
  readonly delayMs?: number;
  /** Accept the request and never answer (goose holding the event loop). */
  readonly hang?: true;
  /** Accept the request, then reset the connection (RST) without answering. */
  readonly destroy?: true;
}

/**
 * Keys are `METHOD /path`, e.g. `GET /db_schema_status`. AWS JSON-protocol calls (one path, the
 * operation named by the X-Amz-Target header) are keyed `POST / Operation`, e.g. `POST / DescribeTaskDefinition`.
 */
export type RouteTable = Readonly<Record<string, StubRoute>>;

/** Answer for a request no route names: distinct from every status the contract gives a meaning. */
export const NO_ROUTE_STATUS = 599;

export interface HttpStub {
  readonly baseUrl: string;
  /** Every request received, in order, as its route key. */
  readonly requests: readonly string[];
  /** The body of every request received, in the same order. */
  readonly bodies: readonly string[];
  /** How many times `METHOD /path` was received. */
  count(route: string): number;
  /** Replaces the route table and forgets what was received: one stub for clients that cache their endpoint. */
  use(routes: RouteTable): void;
  close(): Promise<void>;
}

/** Every stub not closed yet: closed after each test file (see closeOpenStubs), even one whose test timed out. */
const open = new Set<HttpStub>();

/**
 * Closes the stubs a test file left open. A test that times out never reaches its own `finally`: its
 * stub would keep the worker alive (and a handler's request pending) until jest is killed.
 */
export async function closeOpenStubs(): Promise<void> {
  await Promise.all([...open].map((stub) => stub.close()));
}

export async function startStub(initialRoutes: RouteTable): Promise<HttpStub> {
  let routes = initialRoutes;
  const requests: string[] = [];
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const receive = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  };

  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const operation = req.headers['x-amz-target'];
    const key = `${req.method} ${req.url}${typeof operation === 'string' ? ` ${operation.split('.').pop()}` : ''}`;
    requests.push(key);
    bodies.push(body);
    const route = routes[key];
    if (route === undefined) {
      res.writeHead(NO_ROUTE_STATUS, { 'content-type': 'text/plain' }).end(`stub: no route for ${key}`);
      return;
    }
    if (route.hang) return;
    if (route.destroy) {
      req.socket.resetAndDestroy();
      return;
    }
    const reply = (): void => {
      if (res.destroyed || res.writableEnded) return;
      const text = typeof route.body === 'string' ? route.body : JSON.stringify(route.body ?? null);
      const type = typeof route.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
      res.writeHead(route.status ?? 200, { 'content-type': type }).end(text);
    };
    if (route.delayMs === undefined) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      reply();
    }, route.delayMs);
    timers.add(timer);
  };

  const server = createServer(receive);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  const stub: HttpStub = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    bodies,
    count: (route) => requests.filter((r) => r === route).length,
    use: (next) => {
      routes = next;
      requests.length = 0;
      bodies.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        open.delete(stub);
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  open.add(stub);
  return stub;
}

/** A base URL on 127.0.0.1 where nothing listens: a port just bound and released (connection refused). */
export async function refusedBaseUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return `http://127.0.0.1:${port}`;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** The error a promise rejects with; fails the test if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(value)}`);
}

export type Handler = (event: unknown) => Promise<unknown>;

/** Where a scenario sends its traffic: a stub with routes, or a port where nothing listens. */
export type Target = { readonly routes: RouteTable } | { readonly refused: true };

export interface Outcome {
  readonly result?: unknown;
  readonly error?: Error;
  /** What the stub received (empty for a refused target). */
  readonly requests: readonly string[];
}

/**
 * Runs one handler invocation against a fresh stub (or a refused port) with `{ baseUrl, timeoutMs }`
 * plus any extra event fields, and closes the stub afterwards.
 */
export async function invoke(handler: Handler, target: Target, timeoutMs: number, extra: Record<string, unknown> = {}): Promise<Outcome> {
  const stub = 'routes' in target ? await startStub(target.routes) : undefined;
  const baseUrl = stub?.baseUrl ?? (await refusedBaseUrl());
  try {
    const result = await handler({ baseUrl, timeoutMs, ...extra });
    return { result, requests: [...(stub?.requests ?? [])] };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)), requests: [...(stub?.requests ?? [])] };
  } finally {
    await stub?.close();
  }
}

/** The error carries the name Step Functions matches on, and its message contains every part. */
export function expectNamedError(error: Error | undefined, name: string, parts: readonly (string | RegExp)[]): void {
  expect(error).toBeInstanceOf(Error);
  expect(error?.name).toBe(name);
  for (const part of parts) expect(error?.message).toMatch(part);
}
