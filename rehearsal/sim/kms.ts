import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from './aws-error';

/** An HMAC KMS key of the template, as the simulated account holds it. */
export interface HmacKeySpec {
  readonly arn: string;
  /** `HMAC_256`, `HMAC_384`, ... (KeySpec), and the algorithm it supports. */
  readonly keySpec: string;
  readonly keyUsage: string;
}

/**
 * HMAC keys take one MAC algorithm each: HMAC_256 keys HMAC_SHA_256, and so on
 * (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html).
 */
const ALGORITHM_OF: Readonly<Record<string, { mac: string; hash: string }>> = {
  HMAC_224: { mac: 'HMAC_SHA_224', hash: 'sha224' },
  HMAC_256: { mac: 'HMAC_SHA_256', hash: 'sha256' },
  HMAC_384: { mac: 'HMAC_SHA_384', hash: 'sha384' },
  HMAC_512: { mac: 'HMAC_SHA_512', hash: 'sha512' },
};

/**
 * KMS GenerateMac and VerifyMac with real HMACs, as the API reference describes them
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html): a message of 1 to 4096
 * bytes, the key's own algorithm only (InvalidKeyUsageException otherwise), a MAC that does not
 * match fails VerifyMac with KMSInvalidMacException rather than answering false. A key's material
 * is derived from its ARN, so a rehearsal is the same every time it runs (its records compare
 * equal); it is known to nothing but this simulation. Errors are named as the AWS SDK for
 * JavaScript names them (the only callers are the functions' SDK clients).
 */
export class SimulatedKms {
  private readonly keys = new Map<string, HmacKeySpec & { material: Buffer }>();
  /** Every MAC operation, for tests to read. */
  readonly calls: { operation: 'GenerateMac' | 'VerifyMac'; keyId: string; valid?: boolean }[] = [];

  constructor(keys: readonly HmacKeySpec[]) {
    for (const key of keys) this.keys.set(key.arn, { ...key, material: createHash('sha512').update(`simulated HMAC key material of ${key.arn}`).digest() });
  }

  generateMac(p: Record<string, unknown>): unknown {
    const { key, message, algorithm } = this.request(p);
    this.calls.push({ operation: 'GenerateMac', keyId: key.arn });
    return { KeyId: key.arn, MacAlgorithm: algorithm.mac, Mac: this.mac(key.material, algorithm.hash, message).toString('base64') };
  }

  verifyMac(p: Record<string, unknown>): unknown {
    const { key, message, algorithm } = this.request(p);
    const given = Buffer.from(typeof p.Mac === 'string' ? p.Mac : '', 'base64');
    if (given.length === 0) throw new AwsError('ValidationException', '1 validation error detected: Value null at \'mac\' failed to satisfy constraint: Member must not be null');
    const expected = this.mac(key.material, algorithm.hash, message);
    const valid = given.length === expected.length && timingSafeEqual(given, expected);
    this.calls.push({ operation: 'VerifyMac', keyId: key.arn, valid });
    if (!valid) throw new AwsError('KMSInvalidMacException', 'The HMAC verification failed');
    return { KeyId: key.arn, MacAlgorithm: algorithm.mac, MacValid: true };
  }

  private mac(material: Buffer, hash: string, message: Buffer): Buffer {
    return createHmac(hash, material).update(message).digest();
  }

  private request(p: Record<string, unknown>) {
    const keyId = typeof p.KeyId === 'string' ? p.KeyId : '';
    const key = this.keys.get(keyId) ?? [...this.keys.values()].find((k) => k.arn.endsWith(`:key/${keyId}`));
    if (!key) throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
    const algorithm = ALGORITHM_OF[key.keySpec];
    if (!algorithm || key.keyUsage !== 'GENERATE_VERIFY_MAC') {
      throw new AwsError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for MAC operations.`);
    }
    if (p.MacAlgorithm !== algorithm.mac) {
      throw new AwsError('InvalidKeyUsageException', `The operation failed because the MacAlgorithm ${String(p.MacAlgorithm)} is not supported by ${key.arn} (${key.keySpec} supports ${algorithm.mac}).`);
    }
    const message = Buffer.from(typeof p.Message === 'string' ? p.Message : '', 'base64');
    if (message.length < 1 || message.length > 4096) {
      throw new AwsError('ValidationException', `1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096 (got ${message.length})`);
    }
    return { key, message, algorithm };
  }
}
