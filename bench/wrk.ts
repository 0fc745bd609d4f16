// The Basic storm with wrk (C, one thread per core): autocannon is one JS
// thread and, on this machine, saturates below what nginx serves. Each
// request is the next device in the list, with its own User-Agent and
// credentials, read by a Lua script from a file; the script prints the
// figures as JSON when the run is done.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, type StormFigures, type StormOptions, type Target } from './storm.ts';

export function findWrk(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || null : null;
}

const SCRIPT = `
local targets = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do
    local p, ua, auth = line:match("^([^\\t]+)\\t([^\\t]+)\\t([^\\t]*)$")
    if p then
      -- No credentials (the challenge-only storm): no Authorization header at all.
      local headers = { ["User-Agent"] = ua }
      if auth ~= "" then headers["Authorization"] = auth end
      targets[#targets + 1] = wrk.format("GET", p, headers)
    end
  end
  i = tonumber(args[2]) or 0
end
function request()
  i = i % #targets + 1
  return targets[i]
end
function done(summary, latency, requests)
  io.write(string.format('WRK-JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"bytes":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout, summary.bytes))
end
`;

function run(bin: string, url: string, dir: string, connections: number, seconds: number) {
  const threads = Math.max(1, Math.min(os.availableParallelism(), connections));
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', path.join(dir, 'storm.lua'), url, '--', path.join(dir, 'targets.tsv')];
  return new Promise<{ requests: number; durationUs: number; p50Us: number; p99Us: number; maxUs: number; status: number; timeout: number; connect: number; read: number; write: number; bytes: number }>((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK-JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${out}`));
      resolve(JSON.parse(line.slice('WRK-JSON '.length)));
    });
  });
}

export async function wrkStorm(bin: string, url: string, pid: number, targets: readonly Target[], opts: StormOptions): Promise<StormFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-wrk-'));
  try {
    fs.writeFileSync(path.join(dir, 'storm.lua'), SCRIPT);
    fs.writeFileSync(path.join(dir, 'targets.tsv'), targets.map((t) => `${t.path}\t${t.userAgent}\t${t.authorization}`).join('\n') + '\n');
    if (opts.warmupSeconds > 0) await run(bin, url, dir, opts.connections, opts.warmupSeconds);
    const before = cpuSeconds(pid);
    const started = process.hrtime.bigint();
    const r = await run(bin, url, dir, opts.connections, opts.seconds);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const seconds = r.durationUs / 1e6;
    return {
      requests: r.requests,
      requestsPerSecond: r.requests / seconds,
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      maxMs: r.maxUs / 1000,
      non200: r.status + r.timeout + r.connect + r.read + r.write,
      statusCodes: { '200': r.requests - r.status, other: r.status },
      errors: r.connect + r.read + r.write,
      timeouts: r.timeout,
      bytesPerSecond: r.bytes / seconds,
      targetCores: (cpuSeconds(pid) - before) / wall,
      // wrk is a separate process: its CPU is not this process's; reported as unknown (0).
      loadGeneratorCores: 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
