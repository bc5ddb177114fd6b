import { ConfigError } from '../infra/config';
import { rehearseCommand } from './command';

/** `npm run rehearse`: see rehearsal/command.ts. A configuration error is a sentence, anything else a stack. */
rehearseCommand(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`rehearsal failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
