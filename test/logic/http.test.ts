import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { failureOf, REFUSED_CODES, send, TransportError } from '../../handlers/lib/http';
import { refusedBaseUrl, rejectionOf, startStub } from '../support/http-stub';

/** A server whose handler the test writes; closed by the test. */
async function serve(handle: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('send: one request, and what its failure means for the caller', () => {
  it.each(REFUSED_CODES.map((code) => [code]))('counts %s as never delivered', (code) => {
    expect(failureOf(code)).toBe('refused');
  });

  it.each([['ECONNRESET'], ['EPIPE'], [undefined]])('counts %s as maybe delivered', (code) => {
    expect(failureOf(code)).toBe('reset');
  });

  it('sends the method and asks for JSON or text', async () => {
    let seen: { method?: string; accept?: string } = {};
    const { url, server } = await serve((req, res) => {
      seen = { method: req.method, accept: req.headers.accept };
      res.end('ok');
    });
    try {
      await expect(send('PATCH', `${url}/upgrade`, 1000)).resolves.toEqual({ status: 200, body: 'ok' });
    } finally {
      await closed(server);
    }
    expect(seen).toEqual({ method: 'PATCH', accept: 'application/json, text/plain' });
  });

  it('speaks TLS to an https URL (a plain HTTP server does not answer it)', async () => {
    const stub = await startStub({ 'GET /ping': { status: 200, body: 'pong' } });

    const error = await rejectionOf(send('GET', `${stub.baseUrl.replace('http:', 'https:')}/ping`, 1000));

    expect(error).toBeInstanceOf(TransportError);
    expect(stub.requests).toEqual([]);
  });

  it('reports a connection reset before the answer as reset, a closed port as refused', async () => {
    const stub = await startStub({ 'PATCH /upgrade': { destroy: true } });

    const reset = await rejectionOf(send('PATCH', `${stub.baseUrl}/upgrade`, 1000));
    const refused = await rejectionOf(send('PATCH', `${await refusedBaseUrl()}/upgrade`, 1000));

    expect([reset, refused].map((e) => [e.name, (e as TransportError).failure])).toEqual([
      ['TransportError', 'reset'],
      ['TransportError', 'refused'],
    ]);
  });

  it('reports an answer cut off half-way as reset at once, not as a timeout', async () => {
    const { url, server } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('part of it');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const error = await rejectionOf(send('GET', `${url}/db_schema_status`, 5000));
      expect((error as TransportError).failure).toBe('reset');
      expect(error.message).toContain(`GET ${url}/db_schema_status: `);
    } finally {
      await closed(server);
    }
  });

  it('keeps at most 1 MiB of a body', async () => {
    const { url, server } = await serve((_req, res) => res.end('x'.repeat(3 * 1024 * 1024)));
    try {
      const { body } = await send('GET', url, 5000);
      expect(body.length).toBeGreaterThan(0);
      expect(body.length).toBeLessThanOrEqual(1024 * 1024);
    } finally {
      await closed(server);
    }
  });
});
