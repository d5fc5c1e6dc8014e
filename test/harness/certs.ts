// Key material for the lab. Node can make keys but not certificates, so X.509 goes through the openssl CLI.
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './tools.js';

export interface TokenSigningKey {
  privateKey: KeyObject;
  certFile: string;
  certPem: string;
  /** Base64 DER of the certificate, for the JWT `x5c` header. */
  x5c: string;
}

export interface TlsMaterial {
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
}

const DAYS = '2';

/** RSA key + self-signed certificate; the registry trusts it via `rootcertbundle`. */
export async function makeTokenSigningKey(dir: string): Promise<TokenSigningKey> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, 'token-signing.key');
  const certFile = join(dir, 'token-signing.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    '/CN=lab-token',
    '-days',
    DAYS,
    '-out',
    certFile,
  ]);
  const certPem = await readFile(certFile, 'utf8');
  const x5c = new X509Certificate(certPem).raw.toString('base64');
  return { privateKey, certFile, certPem, x5c };
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it. */
export async function makeTlsMaterial(dir: string): Promise<TlsMaterial> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csrFile = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extFile = join(dir, 'server.ext');
  await run('openssl', [
    ...['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile],
    ...['-subj', '/CN=imagepull-preflight lab CA', '-days', DAYS],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  await run('openssl', [
    ...['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csrFile],
    ...['-subj', '/CN=localhost'],
  ]);
  await writeFile(
    extFile,
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' +
      'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await run('openssl', [
    ...['x509', '-req', '-in', csrFile, '-CA', caFile, '-CAkey', caKey, '-out', certFile],
    ...['-days', DAYS, '-sha256', '-extfile', extFile, '-set_serial', `0x${randomBytes(8).toString('hex')}`],
  ]);
  return { caFile, caPem: await readFile(caFile, 'utf8'), certFile, keyFile };
}
