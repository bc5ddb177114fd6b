import { CliError, EXIT } from '../aws';

/**
 * Discovery could not settle on one answer: nothing matched, or more than one thing did. The message
 * says what was looked for; the candidates (one per line) say what was found instead, and how to choose.
 */
export class DiscoveryError extends CliError {
  constructor(
    message: string,
    readonly candidates: readonly string[],
    code: 'NotFound' | 'Ambiguous',
  ) {
    super(candidates.length > 0 ? `${message}\n${candidates.map((c) => `  ${c}`).join('\n')}` : message, EXIT.notSucceeded, code);
    this.name = 'DiscoveryError';
  }
}
