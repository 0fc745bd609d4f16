// The export actions the Import page and the Extensions list share. The plain
// export is a link; the one with secrets asks first, because the file holds
// every secret in clear and the server audits each download of it.
import { $, flash } from './common.js';

export function setupExport() {
  const open = $('#export-secrets');
  const dialog = $('#confirm-export');
  if (!open || !dialog) return;
  open.addEventListener('click', () => dialog.showModal());
  $('#confirm-export-no').addEventListener('click', () => dialog.close());
  // Closing by any way (Cancel, Escape, the download) hands focus back to the button that opened it.
  dialog.addEventListener('close', () => open.focus());
  $('#confirm-export-yes').addEventListener('click', () => {
    dialog.close();
    // A navigation, not fetch(): the browser saves the attachment itself, and
    // sends it as same-origin, which a read that reveals secrets needs.
    const a = document.createElement('a');
    a.href = '/api/export.csv?secrets=true';
    // The server's Content-Disposition names the file.
    a.download = '';
    document.body.append(a);
    a.click();
    a.remove();
    flash('The export with secrets is downloading. It is written to the audit log.');
  });
}
