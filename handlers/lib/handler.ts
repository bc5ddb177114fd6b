/**
 * The shape every handler shares: validate the event, run one function, log the outcome.
 * Errors are re-thrown untouched so their names reach the state machine's Retry/Catch.
 */
export function defineHandler<E, R>(name: string, parse: (event: unknown) => E, run: (input: E) => Promise<R> | R) {
  return async (event: unknown): Promise<R> => {
    const started = Date.now();
    const context = { handler: name, executionId: executionIdOf(event) };
    try {
      const result = await run(parse(event));
      log({ ...context, outcome: 'ok', ms: Date.now() - started });
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log({ ...context, outcome: 'error', error: error.name, message: error.message, ms: Date.now() - started });
      throw error;
    }
  };
}

/** The state machine adds `executionId` to every payload; a direct invocation may not have it. */
function executionIdOf(event: unknown): string | undefined {
  const id = (event as { executionId?: unknown } | null)?.executionId;
  return typeof id === 'string' ? id : undefined;
}

/** One JSON line per invocation: CloudWatch Logs Insights can filter on `handler` and `error`. */
function log(entry: Record<string, unknown>): void {
  if (process.env.RUNBOOK_QUIET === '1') return;
  process.stdout.write(`${JSON.stringify({ level: entry.outcome === 'ok' ? 'INFO' : 'ERROR', ...entry })}\n`);
}
