import { readFile } from 'node:fs/promises';

/**
 * The PEM text of an endpoint's CA file: a RangeError if it holds no certificate, the fs error if
 * it cannot be read. The registry checks it when a model is added, the endpoint when it connects.
 */
export async function readCaFile(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new RangeError('CA file holds no PEM certificate');
  return pem;
}
