// The printed report: a few aligned lines per measurement, figures rounded
// to what a reader compares.
import type { PushBacklog } from './admin.ts';
import type { FirstFetchFigures } from './first-fetch.ts';
import type { ImportFigures } from './import.ts';
import type { MongoFigures } from './mongo.ts';
import type { ReloadFigures, SecretFigures } from './rerender.ts';
import type { DigestFigures } from './digest-storm.ts';
import type { StormFigures } from './storm.ts';

/** What the phone workers felt while an import was applied. */
export interface ImportLoop {
  workers: { pid: number; maxMs: number; p99Ms: number }[];
  probe: { requests: number; p99Ms: number; maxMs: number; non2xx: number };
}

export interface Report {
  machine: { cpus: number; node: string; nginx: string | null };
  fleet: { extensions: number; devices: number; lines: number; sharedExtensionDevices: number };
  setup: { extensionsS: number; devicesS: number; totalS: number; devicesPerSecond: number; deviceCallP50Ms: number; deviceCallP99Ms: number };
  /** Every phone's first fetch, each once, 50 in flight. */
  firstBoot: FirstFetchFigures;
  reload: ReloadFigures;
  restart: {
    emptyStartMs: number;
    baselineStartMs: number;
    changedUrlStartMs: number;
    reconcileMs: number;
    writes: number | null;
    baselineReconciledMs: number;
    changedUrlReconciledMs: number;
    changedUrlPeakRssMiB: number;
  };
  secretChange: SecretFigures;
  storm: {
    connections: number;
    seconds: number;
    tool: string;
    workers: number;
    ours: StormFigures;
    nginx: StormFigures | null;
    nginxSkipped: string | null;
    /** A bare node:cluster server answering the same bytes from memory: what any Node server could reach here. */
    nodeFloor: StormFigures | null;
  };
  ratios: {
    requestsPerSecond: number;
    p99: number;
    floorRequestsPerSecond: number | null;
    oursToFloor: number | null;
    /** The same storm against the server on the MongoDB store, to nginx. */
    mongoRequestsPerSecond: number | null;
  } | null;
  /** (f) the storm on the MongoDB store (BENCH_MONGO=0: null). */
  mongo: MongoFigures | { skipped: string } | null;
  digest: { ours: DigestFigures; nginx: DigestFigures | null; ratio: number | null };
  secretUnderStorm: SecretFigures;
  /** Check-sync work from earlier phases still draining when the Basic storm began and ended: it shares the CPU with the storm. */
  pushBacklog: { atStormStart: PushBacklog; atStormEnd: PushBacklog; stormS: number };
  /** The API was on its own port (BENCH_ADMIN_PORT=1), served by the primary. */
  adminPort: boolean;
  cpuPerRequestMs: { served: number; challenge: number };
  reloadLoop: { workers: { pid: number; maxMs: number; p99Ms: number }[]; probe: { requests: number; p99Ms: number; maxMs: number; non2xx: number } };
  import: (ImportFigures & ImportLoop) | null;
  /** 1, 5 and 15 minute load averages at the end: the machine is shared. */
  load: number[];
  /** The largest VmHWM of the primary and its workers, and their sum. */
  serverPeakRssMiB: number;
  serverTotalPeakRssMiB: number;
  /** VmHWM read after each phase: the phase where it jumps set the peak. */
  peakRssAfterMiB: Record<string, number>;
  wallS: number;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => x.toFixed(1);
const ms = (x: number) => (x >= 100 ? `${n0(x)} ms` : `${x.toFixed(1)} ms`);

function stormLine(label: string, s: StormFigures): string {
  // autocannon is one JS thread: near a full core it, not the target, sets the pace.
  const bound = s.loadGeneratorCores >= 0.9 && s.loadGeneratorCores > 0 ? '\n          ^ the load generator was saturated: these req/s are a lower bound for this target' : '';
  return `  ${label.padEnd(7)} ${n0(s.requestsPerSecond).padStart(7)} req/s   p50 ${ms(s.p50Ms).padStart(8)}   p99 ${ms(s.p99Ms).padStart(8)}   max ${ms(s.maxMs).padStart(8)}   non-200 ${s.non200}   (${n0(s.requests)} requests; CPU: target ${s.targetCores.toFixed(2)}, load generator ${s.loadGeneratorCores.toFixed(2)} cores)${bound}`;
}

export function formatReport(r: Report): string {
  const { fleet, setup, reload, restart, secretChange, storm } = r;
  const perDevice = Object.entries(reload.filesPerDevice).map(([v, k]) => `${v} ${k}`).join(', ');
  const lines = [
    '',
    `=== provisioning benchmark (${r.machine.cpus} CPUs, node ${r.machine.node}) ===`,
    `fleet     ${n0(fleet.extensions)} extensions, ${n0(fleet.devices)} devices, ${n0(fleet.lines)} lines; shared extension on ${fleet.sharedExtensionDevices} devices`,
    `set-up    ${n1(setup.totalS)} s  (extensions ${n1(setup.extensionsS)} s, devices ${n1(setup.devicesS)} s = ${n0(setup.devicesPerSecond)} devices/s; POST /api/devices p50 ${ms(setup.deviceCallP50Ms)}, p99 ${ms(setup.deviceCallP99Ms)})`,
    `(0) first boot: every phone's first fetch, once each (the server learns its firmware): ${n0(r.firstBoot.fetches)} in ${n1(r.firstBoot.seconds)} s = ${n0(r.firstBoot.perSecond)} fetches/s`,
    `(a) full re-render of ${n0(reload.filesRendered)} files (${n0(reload.deviceFiles)} device files [${perDevice} per device] + ${n0(reload.vendorFiles)} shared and softphone files)`,
    `  reload ?full=true, nothing changed ${ms(Math.min(...reload.unchangedMs))} .. ${ms(Math.max(...reload.unchangedMs))} over ${reload.unchangedMs.length} runs = ${n0(reload.unchangedRendersPerSecond)} renders/s (median)`,
    `  reload, nothing changed (no owner's inputs differ, none rendered) ${ms(reload.scopedUnchangedMs)}`,
    `  reload, every file changed ${ms(reload.changedMs)} = ${n0(reload.changedRendersPerSecond)} renders/s (${n0(reload.changedFiles)} files, ${n0(reload.changedDevices)} devices stored)`,
    `  spawn to "listening": empty data dir ${ms(restart.emptyStartMs)}; ${n0(fleet.devices)} devices unchanged ${ms(restart.baselineStartMs)}; PROV_PUBLIC_URL changed ${ms(restart.changedUrlStartMs)}`,
    `    = ${ms(restart.reconcileMs)} more to store what the new URL changed${restart.writes === null ? '' : ` (${n0(restart.writes)} writes: files + device version bumps)`}`,
    `(b) new secret on the extension of ${secretChange.devicesAffected} devices, ${secretChange.runs} times: median ${ms(secretChange.medianMs)}, max ${ms(secretChange.maxMs)}`,
    `(c/d) fetch storm: ${storm.connections} connections, ${storm.seconds} s, credential file of ${n0(fleet.devices)} devices`,
    stormLine('ours', storm.ours),
    storm.nginx ? stormLine('nginx', storm.nginx) : `  nginx   skipped: ${storm.nginxSkipped}`,
  ];
  if (storm.nodeFloor) lines.push(stormLine('floor', storm.nodeFloor));
  if (r.ratios) {
    lines.push(`  ours/nginx (Basic, ${storm.tool}, ${storm.workers} workers each): req/s ${r.ratios.requestsPerSecond.toFixed(2)}x, p99 ${r.ratios.p99.toFixed(2)}x`);
    if (r.ratios.floorRequestsPerSecond !== null && r.ratios.oursToFloor !== null) {
      lines.push(`  Node floor/nginx: req/s ${r.ratios.floorRequestsPerSecond.toFixed(2)}x (the most any Node server reaches here); ours/floor ${r.ratios.oursToFloor.toFixed(2)}x`);
    }
  }
  if (r.mongo && 'skipped' in r.mongo) lines.push(`(f) the storm on the MongoDB store: skipped (${r.mongo.skipped})`);
  else if (r.mongo) {
    const m = r.mongo;
    lines.push(`(f) the same storm on the MongoDB store, ${m.server}: ${n0(m.fleet.extensions)} extensions, ${n0(m.fleet.devices)} devices`);
    lines.push(`  set-up ${n1(m.setupS)} s (${m.conflicts} calls asked again after a 409 concurrent-change); first boot ${n0(m.firstBootPerSecond)} fetches/s`);
    lines.push(stormLine('mongo', m.storm));
    if (m.databaseCores !== null) lines.push(`  the database (FerretDB) used ${m.databaseCores.toFixed(2)} cores meanwhile`);
    if (r.ratios?.mongoRequestsPerSecond != null) {
      lines.push(`  to nginx (req/s): SQLite store ${r.ratios.requestsPerSecond.toFixed(2)}x, MongoDB store ${r.ratios.mongoRequestsPerSecond.toFixed(2)}x`);
    }
  }
  const digestLine = (label: string, d: DigestFigures) =>
    `  ${label.padEnd(7)} ${n0(d.fetchesPerSecond).padStart(7)} fetches/s (${n0(d.requestsPerSecond)} req/s)   p50 ${ms(d.p50Ms).padStart(8)}   p99 ${ms(d.p99Ms).padStart(8)}   max ${ms(d.maxMs).padStart(8)}   unexpected ${d.unexpected}   (CPU: target ${d.targetCores.toFixed(2)}, load generator ${d.loadGeneratorCores.toFixed(2)} cores)`;
  lines.push(`(c/d) Digest path: challenge + answer per fetch, autocannon, ${storm.connections} connections`);
  lines.push(digestLine('ours', r.digest.ours));
  if (r.digest.nginx) lines.push(digestLine('nginx', r.digest.nginx));
  if (r.digest.ratio !== null) lines.push(`  ours/nginx (Digest): fetches/s ${r.digest.ratio.toFixed(2)}x`);
  const backlog = (b: PushBacklog) => `${n0(b.queued)} queued, ${n0(b.sent)} sent awaiting an answer`;
  const push = r.pushBacklog;
  lines.push(`  check-sync still draining from earlier phases: ${backlog(push.atStormStart)} when the Basic storm began; ${backlog(push.atStormEnd)} when it ended`);
  // The storm is shorter than timer F: what went out during it is still awaiting an answer at its end (the bench's phones never answer).
  lines.push(`  NOTIFYs started during the storm: ${n0(push.atStormEnd.sentSince)} in ${n1(push.stormS)} s = ${n1(push.atStormEnd.sentSince / push.stormS)}/s`);
  lines.push(`  server CPU per answer: served file ${r.cpuPerRequestMs.served.toFixed(3)} ms, 401 challenge ${r.cpuPerRequestMs.challenge.toFixed(3)} ms (${(r.cpuPerRequestMs.challenge / r.cpuPerRequestMs.served).toFixed(2)} of a served file)`);
  lines.push(`(b') new secret under the Basic storm: median ${ms(r.secretUnderStorm.medianMs)}, max ${ms(r.secretUnderStorm.maxMs)} (${r.secretUnderStorm.runs} runs; the API ${r.adminPort ? 'on its own port, served by the primary' : 'on the phones\' port'})`);
  const delays = r.reloadLoop.workers.map((w) => `pid ${w.pid} max ${ms(w.maxMs)} p99 ${ms(w.p99Ms)}`).join('; ');
  lines.push(`(a') event-loop delay of the phone workers during the reloads: ${delays}`);
  lines.push(`    phones fetching meanwhile (4 connections): ${n0(r.reloadLoop.probe.requests)} requests, p99 ${ms(r.reloadLoop.probe.p99Ms)}, max ${ms(r.reloadLoop.probe.maxMs)}, non-2xx ${r.reloadLoop.probe.non2xx}`);
  if (r.import) {
    const i = r.import;
    lines.push(`(g) import of ${n0(i.rows)} rows (${n1(i.mib)} MiB, ${n0(i.created.extensions)} extensions and ${n0(i.created.devices)} devices created): dry run ${ms(i.dryRunMs)}, apply ${ms(i.applyMs)}, the same file again ${ms(i.againMs)}`);
    lines.push(`    event-loop delay of the phone workers during the apply: ${i.workers.map((w) => `pid ${w.pid} max ${ms(w.maxMs)} p99 ${ms(w.p99Ms)}`).join('; ')}; phones meanwhile p99 ${ms(i.probe.p99Ms)}, max ${ms(i.probe.maxMs)}, non-2xx ${i.probe.non2xx}`);
  }
  lines.push(`    restart, spawn to reconciled: unchanged ${ms(restart.baselineReconciledMs)}; PROV_PUBLIC_URL changed ${ms(restart.changedUrlReconciledMs)} (peak RSS of that start ${n0(restart.changedUrlPeakRssMiB)} MiB)`);
  const codes = (s: StormFigures) => Object.entries(s.statusCodes).map(([c, k]) => `${c}: ${n0(k)}`).join(', ');
  lines.push(`  status codes: ours {${codes(storm.ours)}}${storm.nginx ? `, nginx {${codes(storm.nginx)}}` : ''}`);
  const phases = Object.entries(r.peakRssAfterMiB).map(([p, v]) => `${p} ${n0(v)}`).join(', ');
  lines.push(`(e) server peak RSS (VmHWM, largest process): ${n1(r.serverPeakRssMiB)} MiB, all processes ${n1(r.serverTotalPeakRssMiB)} MiB  (after each phase: ${phases} MiB)`);
  lines.push(`load average at the end: ${r.load.map((l) => l.toFixed(2)).join(', ')}`);
  lines.push(`wall time ${n1(r.wallS)} s`);
  return lines.join('\n');
}
