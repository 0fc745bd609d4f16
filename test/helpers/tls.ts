// TLS for tests: a throw-away self-signed certificate made with the openssl
// CLI, and requests to an HTTPS listener that accept it.
import { execFile } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './server.ts';

const run = promisify(execFile);

export interface CertFiles {
  dir: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1 and its key, as PEM files in a fresh temp dir. */
export async function selfSignedCert(): Promise<CertFiles> {
  const dir = tempDir('prov-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return { dir, cert, key };
}

export interface TlsResponse {
  status: number;
  /** Each header's values as received, e.g. several WWW-Authenticate lines. */
  headers: Record<string, string[]>;
  text: string;
}

/** One request over TLS, trusting any certificate (ours is self-signed). */
export function httpsRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(res.headersDistinct)) if (v) headers[k] = v;
        resolve({ status: res.statusCode!, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
