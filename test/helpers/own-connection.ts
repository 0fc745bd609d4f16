// An admin API call on a connection of its own (no keep-alive agent), so a
// clustered server's primary hands each request to the next worker: tests
// that mean "one request here, the next one there" need that, where fetch
// would reuse one socket and so one worker.
import http from 'node:http';

export function callOnOwnConnection(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, {
      method,
      agent: false,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
