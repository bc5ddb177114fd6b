/**
 * An AWS API error as a Step Functions SDK integration reports it: `<Service>.<Name>Exception`
 * (Java SDK v2 casing), with the service's message as the cause.
 */
export class AwsError extends Error {
  constructor(name: string, message: string, statusCode = 400) {
    super(`${message} (Service: ${name.split('.')[0]}, Status Code: ${statusCode}, Request ID: simulated)`);
    this.name = name;
  }
}

/** Time the simulated AWS operations take, in virtual seconds (realistic orders of magnitude). */
export const DURATIONS = {
  snapshot: 300,
  rename: 600,
  restore: 900,
  modify: 60,
  taskStart: 60,
  taskStop: 5,
  migrationEach: 20,
  apiCall: 0.2,
  lambdaCall: 0.3,
} as const;
