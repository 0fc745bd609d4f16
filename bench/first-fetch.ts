// Every phone fetching its file once, as a site's phones do at their first
// boot against a new server: each first fetch teaches the server the phone's
// firmware (a commit). Run before the other measurements, so that they see a
// fleet already provisioned once, as a running site is.
import http from 'node:http';
import { pool } from './admin.ts';
import type { Target } from './storm.ts';

export interface FirstFetchFigures {
  fetches: number;
  seconds: number;
  perSecond: number;
}

export async function firstFetches(baseUrl: string, targets: readonly Target[], concurrency: number): Promise<FirstFetchFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const started = performance.now();
  try {
    await pool(targets, concurrency, (t) =>
      new Promise<void>((resolve, reject) => {
        const req = http.get(baseUrl + t.path, { agent, headers: { 'user-agent': t.userAgent, authorization: t.authorization } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${t.path}: ${res.statusCode}`))));
          res.on('error', reject);
        });
        req.on('error', reject);
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return { fetches: targets.length, seconds, perSecond: targets.length / seconds };
}
