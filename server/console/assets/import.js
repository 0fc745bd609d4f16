// Import: a CSV file is checked first (?dryRun=true, nothing written), its
// counts and problems shown on the file's own rows; Apply then sends the
// same file for real. Uploads show their progress, and the page stays usable
// while the server works: nothing here waits on the main thread.
import { $, flash, h, start } from './common.js';
import { readCsv, templateCsv } from './csv-text.js';
import { setupExport } from './export-actions.js';
import { countsText, showCounts, showErrors, showRows } from './import-preview.js';
import { sendCsv } from './upload.js';

// The server's own limit (csv-read.ts): a larger file is told at once instead of after its upload.
const MAX_BYTES = 10 * 1024 * 1024;

let file = null;
let checked = null;
let sending = null;
let applying = false;

const size = (bytes) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

function phase(name, label, text) {
  const box = $('#progress-box');
  box.hidden = name === null;
  box.dataset.phase = name ?? '';
  if (label) $('#progress-label').textContent = label;
  if (text !== undefined) $('#progress-text').textContent = text;
}

/** Sends the file, the progress shown as it goes; the server's answer {status, json}. */
async function send(dryRun) {
  const bar = $('#progress');
  bar.value = 0;
  phase('sending', 'Sending the file', `Sending ${file.name} (${size(file.size)})…`);
  // Only a check may be called back: once an Apply's body is out, the server is writing it.
  $('#cancel-send').hidden = !dryRun;
  const upload = sendCsv(`/api/import${dryRun ? '?dryRun=true' : ''}`, file, {
    progress: (loaded, total) => (bar.value = Math.round((loaded / total) * 100)),
    sent: () => {
      bar.removeAttribute('value');
      if (dryRun) phase('checking', 'Checking the file', 'Sent. The server is checking every row; nothing is written.');
      else phase('applying', 'Applying the file', 'Sent. The server is writing it as one change; this page stays usable.');
    },
  });
  sending = upload;
  try {
    return await upload.done;
  } finally {
    sending = null;
    phase(null);
  }
}

const problems = (r) => r.errors.length + (r.moreErrors ?? 0);
const problemsText = (n) => `${n} ${n === 1 ? 'problem' : 'problems'}`;

function showResult(result, table, heading, summary) {
  $('#result').hidden = false;
  $('#result-heading').textContent = heading;
  $('#result-summary').textContent = summary;
  showCounts(result);
  const drawn = showRows(table, result);
  showErrors(result, drawn);
  $('#result-heading').focus();
}

function applyState(ready, hint) {
  $('#apply').disabled = !ready;
  $('#apply-hint').textContent = hint;
}

function refused(err) {
  $('#import-error').textContent = err.json?.error?.message
    ? `The file was not taken: ${err.json.error.message}.`
    : `The file was not taken (HTTP ${err.status}).`;
}

async function check(chosen) {
  if (applying) {
    flash('An import is being applied: wait for it to finish before checking another file.', 'error');
    return;
  }
  sending?.abort();
  file = chosen;
  checked = null;
  $('#import-error').textContent = '';
  $('#result').hidden = true;
  applyState(false, '');
  if (!file) return;
  if (file.size > MAX_BYTES) {
    $('#import-error').textContent = `The file was not taken: ${file.name} is ${size(file.size)}, and an import takes at most 10 MB. Split it into several files.`;
    return;
  }
  const table = file.text().then(readCsv, () => null);
  let answer;
  try {
    answer = await send(true);
  } catch (err) {
    if (!err.aborted) $('#import-error').textContent = err.message;
    return;
  }
  if (file !== chosen) return;
  if (answer.status !== 200) return refused(answer);
  checked = answer.json;
  const n = problems(checked);
  showResult(
    checked,
    await table,
    n ? `Check of ${file.name}: ${problemsText(n)}` : `Check of ${file.name}: ready to apply`,
    n
      ? 'Nothing can be written while the file has problems; the counts are what its other rows would do. Fix the problems in the file and choose it again.'
      : `Nothing is written yet. Apply makes: ${countsText(checked)}.`,
  );
  applyState(n === 0, n ? 'Apply is off until the file has no problems.' : 'Writes the whole file as one change.');
}

async function apply() {
  if (!file || !checked || problems(checked) || applying) return;
  applying = true;
  applyState(false, 'Applying…');
  $('#csv-file').disabled = true;
  const table = file.text().then(readCsv, () => null);
  let answer;
  try {
    answer = await send(false);
  } catch (err) {
    $('#import-error').textContent = err.message;
    applyState(true, 'Nothing was written. Try again.');
    return;
  } finally {
    applying = false;
    $('#csv-file').disabled = false;
  }
  const result = answer.json;
  if (answer.status === 200 && result?.applied) {
    showResult(result, await table, `Imported ${file.name}`, `Written: ${countsText(result)}.`);
    applyState(false, 'Applied. Choose another file to import more.');
    $('#result-summary').append(' ', h('a', { href: '/extensions' }, 'See the extensions'));
    flash(`${file.name} is imported: ${countsText(result)}.`);
  } else if (answer.status === 422 && result?.errors) {
    // Checked clean, refused now: something changed on the server in between.
    showResult(result, await table, `${file.name} was not imported: ${problemsText(problems(result))}`, 'Nothing was written: the data changed since the check. Fix the file and check it again.');
    applyState(false, 'Apply is off until the file has no problems.');
  } else {
    refused(answer);
    applyState(true, 'Nothing was written.');
  }
}

function setupDrop() {
  // The whole page takes a dropped file, so nobody has to aim at the input.
  let depth = 0;
  const zone = (on) => document.body.classList.toggle('dragging', on);
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    zone(true);
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone(false);
  });
  document.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    depth = 0;
    zone(false);
    const dropped = e.dataTransfer?.files?.[0];
    if (!dropped) return;
    e.preventDefault();
    check(dropped);
  });
}

start(() => {
  const template = $('#template');
  template.href = URL.createObjectURL(new Blob([templateCsv()], { type: 'text/csv' }));
  const input = $('#csv-file');
  input.addEventListener('change', () => check(input.files[0] ?? null));
  // Choosing the same file again after fixing it must check it again, which a
  // file input only reports as a change when its value was cleared first.
  input.addEventListener('click', () => (input.value = ''));
  $('#cancel-send').addEventListener('click', () => {
    sending?.abort();
    flash('Sending was cancelled; nothing was checked.');
    $('#csv-file').focus();
  });
  $('#apply').addEventListener('click', apply);
  setupDrop();
  setupExport();
});
