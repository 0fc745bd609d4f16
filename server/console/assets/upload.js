// Sending a file to /api/import. XMLHttpRequest, not fetch(): only it tells
// how much of a large body has gone, which the page shows while a 10 MB file
// uploads; once it is all sent the server is checking or writing, and the
// page can only say so.

/**
 * POSTs `file` as text/csv. `progress(sent, total)` follows the upload;
 * `sent()` runs once the body is all out. Resolves {status, json} for any
 * answer; rejects only when no answer came (network, abort).
 */
export function sendCsv(path, file, { progress = () => {}, sent = () => {} } = {}) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) progress(e.loaded, e.total);
    });
    xhr.upload.addEventListener('load', () => sent());
    xhr.addEventListener('load', () => {
      let json;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        json = undefined;
      }
      if (xhr.status === 401) location.assign('/sign-in');
      resolve({ status: xhr.status, json });
    });
    xhr.addEventListener('error', () => reject(new Error('the file could not be sent: the server did not answer')));
    xhr.addEventListener('abort', () => reject(Object.assign(new Error('sending was cancelled'), { aborted: true })));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
