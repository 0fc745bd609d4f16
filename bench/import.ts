// (e) A company onboarded from a spreadsheet: a 5,000-row CSV (5,000 new
// extensions, each with a new desk phone on it) checked by a dry run, then
// applied as one change while phones keep fetching (the phone workers'
// event-loop delay is read over the apply), then the same file again, which
// must change nothing. The marks: validate under 5 s, apply under
// 30 s, no phone worker's loop delayed 100 ms or more.

export interface ImportFigures {
  rows: number;
  /** The file's size, in MiB. */
  mib: number;
  dryRunMs: number;
  applyMs: number;
  /** The same file again: validated, nothing written. */
  againMs: number;
  created: { extensions: number; devices: number };
}

/** MACs of a range no other phase uses, half Yealink, half Polycom (each vendor's OUI). */
function macOf(i: number): { mac: string; vendor: string; model: string } {
  const tail = (0x900000 + i).toString(16).padStart(6, '0');
  return i % 2 ? { mac: `0004f2${tail}`, vendor: 'polycom', model: 'VVX_450' } : { mac: `805ec0${tail}`, vendor: 'yealink', model: 'T46S' };
}

export function importFile(rows: number): string {
  const lines = ['extension,name,secret,server,transport,site,mac,vendor,model,line,label'];
  for (let i = 0; i < rows; i++) {
    const { mac, vendor, model } = macOf(i);
    // A name with a separator and a quote in every tenth row, as real directories have.
    const name = i % 10 ? `Desk ${i}` : `"Smith, J. ""${i}"""`;
    lines.push(`i${70000 + i},${name},Imported-Secret-${i},pbx.bench.test,udp,,${mac},${vendor},${model},1,Floor ${i % 7}`);
  }
  return lines.join('\r\n') + '\r\n';
}

async function post(baseUrl: string, token: string, body: string, dryRun: boolean) {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/import${dryRun ? '?dryRun=true' : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body,
  });
  const json = (await res.json()) as { applied: boolean; errors: unknown[]; extensions: { created: number; unchanged: number }; devices: { created: number; unchanged: number } };
  const ms = performance.now() - started;
  if (res.status !== 200 || json.errors.length) throw new Error(`import${dryRun ? ' (dry run)' : ''}: ${res.status} ${JSON.stringify(json).slice(0, 400)}`);
  return { ms, json };
}

export async function measureImport(baseUrl: string, token: string, rows: number, apply: <T>(work: () => Promise<T>) => Promise<T>): Promise<ImportFigures> {
  const file = importFile(rows);
  const dry = await post(baseUrl, token, file, true);
  if (dry.json.extensions.created !== rows) throw new Error(`a dry run of ${rows} new rows would create ${dry.json.extensions.created} extensions`);
  const applied = await apply(() => post(baseUrl, token, file, false));
  if (applied.json.devices.created !== rows) throw new Error(`the import created ${applied.json.devices.created} devices`);
  const again = await post(baseUrl, token, file, false);
  if (again.json.extensions.unchanged !== rows || again.json.devices.unchanged !== rows) throw new Error(`the same file again changed something: ${JSON.stringify(again.json)}`);
  return {
    rows,
    mib: Buffer.byteLength(file) / 1048576,
    dryRunMs: dry.ms,
    applyMs: applied.ms,
    againMs: again.ms,
    created: { extensions: applied.json.extensions.created, devices: applied.json.devices.created },
  };
}
