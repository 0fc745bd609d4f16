// Steps the browser tests take on the console's screens as an admin would:
// kept in one place so every walk creates things the same way.
import type { Page } from 'playwright-core';

/**
 * On the Extensions screen: creates the extension, then on the Devices
 * screen a Yealink T46S with it on line 1. `mac` is typed as an admin
 * would (80:5E:C0:…); resolves once the device's row is listed.
 */
export async function addExtensionAndYealink(
  page: Page,
  base: string,
  { number, displayName, mac }: { number: string; displayName?: string; mac: string },
): Promise<void> {
  await page.getByLabel('Number').fill(number);
  if (displayName !== undefined) await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('SIP server').fill('pbx.example.com');
  await page.getByRole('button', { name: 'Create extension' }).click();
  await page.waitForURL(`**/extensions/${number}`);
  await page.goto(base + '/devices');
  await page.getByLabel('MAC address').fill(mac);
  await page.getByLabel('Vendor', { exact: true }).selectOption('yealink');
  await page.getByLabel('Model').selectOption('T46S');
  await page.getByLabel('Line 1 extension').selectOption(number);
  await page.getByRole('button', { name: 'Add device' }).click();
  await page.locator(`#devices tr[data-mac="${mac.replace(/:/g, '').toLowerCase()}"]`).waitFor();
}
