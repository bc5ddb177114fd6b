import { z } from 'zod';

/**
 * Shapes every stack configuration in this app shares. The runbook schema predates this file and
 * still spells its own `env`; the two accept exactly the same values.
 */
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const awsEnvSchema = z.strictObject({
  account: z.string().regex(ACCOUNT_ID, 'expected a 12-digit AWS account id'),
  region: z.string().regex(REGION, 'expected a region such as eu-west-1'),
});

export const stackNameSchema = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name')
    .default(fallback);
