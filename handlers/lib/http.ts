import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * Why a request got no answer. The difference matters for PATCH /upgrade: `refused` means the
 * request never reached the service; `timeout` and `reset` mean it may be running right now.
 */
export type TransportFailure = 'refused' | 'timeout' | 'reset';

export class TransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Errors that mean the request never reached the service. */
export const REFUSED_CODES = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'] as const;
const REFUSED = new Set<string>(REFUSED_CODES);

/** A request error's meaning: never delivered (refused), or maybe delivered and the answer lost (reset). */
export function failureOf(code: string | undefined): TransportFailure {
  return code !== undefined && REFUSED.has(code) ? 'refused' : 'reset';
}
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One HTTP request with an overall deadline (connect + answer), never retried here: retries are
 * the state machine's decision, visible in its history.
 */
export function send(method: 'GET' | 'PATCH', url: string, timeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const doRequest = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // agent: false opens a fresh connection: a reused idle one the service already closed would make
    // an undelivered PATCH look like a lost answer.
    const req = doRequest(target, { method, agent: false, headers: { accept: 'application/json, text/plain' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (err) => finish(() => reject(new TransportError('reset', `${method} ${url}: ${err.message}`))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new TransportError('timeout', `${method} ${url}: no answer within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(() => reject(new TransportError(failureOf(err.code), `${method} ${url}: ${err.code ?? err.message}`)));
    });
    req.end();
  });
}
