import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RemoteModelProvider } from './RemoteModelProvider.ts';
import { failure, fastEndpoint, startFakeServer, streamReply } from './testServer.ts';

// Certificates are made per run with openssl (in Debian's base image), as a bank's internal CA
// would issue them: a CA, a server certificate it signed, and two bad ones.
let dir = '';
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function issue(name: string, subjectAltName: string): void {
  openssl('req', ...ecKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', '/CN=model-server');
  writeFileSync(file(`${name}.ext`), `subjectAltName=${subjectAltName}\n`);
  openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-out', file(`${name}.pem`), '-extfile', file(`${name}.ext`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-tls-'));
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Strongroom Test Internal CA');
  issue('server', 'IP:127.0.0.1,DNS:localhost');
  issue('wrong-name', 'DNS:other.bank.internal');
  openssl('req', '-x509', ...ecKey, '-keyout', file('self.key'), '-out', file('self.pem'), '-days', '2', '-subj', '/CN=model-server', '-addext', 'subjectAltName=IP:127.0.0.1');
  writeFileSync(file('not-a-cert.pem'), 'hello\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tlsProvider(certificate: string, caFile: string | undefined): Promise<{ provider: RemoteModelProvider; requests: () => number; retries: number[] }> {
  const server = await startFakeServer((_request, response) => streamReply(response, ['secure']), {
    key: readFileSync(file(`${certificate}.key`), 'utf8'),
    cert: readFileSync(file(`${certificate}.pem`), 'utf8'),
  });
  const retries: number[] = [];
  const provider = new RemoteModelProvider({
    id: 'credit-model',
    model: 'served-model',
    endpoint: { ...fastEndpoint, baseUrl: server.baseUrl, caFile, onRetry: (event) => retries.push(event.attempt) },
  });
  cleanups.push(() => server.close(), () => provider.dispose());
  return { provider, requests: () => server.requests.length, retries };
}

const ask = { messages: [{ role: 'user', content: 'hello' }] } as const;

describe('RemoteModelProvider over TLS', () => {
  it('connects to a server whose certificate the configured CA file signed', async () => {
    const { provider } = await tlsProvider('server', file('ca.pem'));
    expect((await provider.chat(ask)).text).toBe('secure');
  });

  it.each([
    ['an internal CA the process was not given', 'server', undefined, 'unknown_certificate_authority'],
    ['a self-signed certificate', 'self', 'ca.pem', 'self_signed_certificate'],
    ['a certificate for another host', 'wrong-name', 'ca.pem', 'hostname_mismatch'],
  ])('refuses %s with ERR_MODEL_TLS naming the cause, without retrying', async (_name, certificate, caFile, cause) => {
    const { provider, requests, retries } = await tlsProvider(certificate, caFile === undefined ? undefined : file(caFile));
    const error = await failure(provider.chat(ask));
    expect(error.code).toBe('ERR_MODEL_TLS');
    expect(error.details).toMatchObject({ model: 'credit-model', cause });
    expect(requests()).toBe(0);
    expect(retries).toEqual([]);
  });

  it.each([
    ['missing', 'no-such-ca.pem', 'ca_file_unreadable'],
    ['not PEM', 'not-a-cert.pem', 'ca_file_invalid'],
  ])('reports a CA file that is %s as ERR_MODEL_TLS', async (_name, caFile, cause) => {
    const { provider, requests } = await tlsProvider('server', file(caFile));
    const error = await failure(provider.chat(ask));
    expect(error).toMatchObject({ code: 'ERR_MODEL_TLS', details: { cause, caFile: file(caFile) } });
    expect(requests()).toBe(0);
  });
});
