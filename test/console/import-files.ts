// The CSV files the Import page tests feed the console, and the ways a person
// hands a file to it: the file picker, or dropping it on the page.
import type { Page } from 'playwright-core';

const hex6 = (n: number) => n.toString(16).padStart(6, '0');

/** Device i: even a Yealink T46S, odd a Polycom VVX 410; its MAC in the notation an admin might type. */
export function fleetDevice(i: number) {
  const yealink = i % 2 === 0;
  const mac = (yealink ? '805ec0' : '0004f2') + hex6(i);
  return { mac, vendor: yealink ? 'yealink' : 'polycom', model: yealink ? 'T46S' : 'VVX_410' };
}

/**
 * 200 extensions (2000–2199) on 200 rows: 2000–2149 each on line 1 of its
 * own device (150 devices), 2150–2169 on line 2 of devices 0–19 (so those
 * are on two lines), 2170–2199 without a phone. Semicolons and a byte order
 * mark, as a spreadsheet in a decimal-comma locale saves it.
 */
export function fleetCsv(): string {
  const rows = ['Extension;Name;Server;Transport;MAC;Vendor;Model;Line'];
  for (let i = 0; i < 200; i++) {
    const number = String(2000 + i);
    const device = i < 150 ? { ...fleetDevice(i), line: 1 } : i < 170 ? { ...fleetDevice(i - 150), line: 2 } : null;
    const mac = device ? device.mac.match(/../g)!.join(':').toUpperCase() : '';
    rows.push([number, `Desk ${number}`, 'pbx.example.com', 'udp', mac, device?.vendor ?? '', device?.model ?? '', device ? String(device.line) : ''].join(';'));
  }
  return '\ufeff' + rows.join('\r\n') + '\r\n';
}

/** Where badCsv's three problems are: spreadsheet row, column as the header names it, code. */
export const BAD_CELLS = [
  { row: 10, column: 'mac', code: 'invalid-mac' },
  { row: 150, column: 'transport', code: 'invalid-transport' },
  { row: 290, column: 'vendor', code: 'unknown-vendor' },
] as const;

/** 300 new extensions (3000–3299), each with a Yealink, and the three bad cells of BAD_CELLS. */
export function badCsv(): string {
  const rows = ['extension,name,server,transport,mac,vendor,model,line'];
  for (let i = 0; i < 300; i++) {
    const row = i + 2;
    const mac = row === 10 ? 'not-a-mac' : '805ed0' + hex6(i);
    const transport = row === 150 ? 'pigeon' : 'udp';
    const vendor = row === 290 ? 'acme' : 'yealink';
    rows.push([String(3000 + i), `Temp ${i}`, 'pbx.example.com', transport, mac, vendor, row === 290 ? '' : 'T46S', '1'].join(','));
  }
  return rows.join('\n') + '\n';
}

/** Picks the file in the page's file input, as the file chooser would. */
export async function chooseFile(page: Page, name: string, text: string): Promise<void> {
  await page.getByLabel('CSV file to import').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
}

/** Drags the file over the page and drops it there. */
export async function dropFile(page: Page, name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'text/csv' }));
    return dt;
  }, { name, text });
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent('main', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer: transfer });
}
