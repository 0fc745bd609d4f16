// The Sites page's one form, for a new site and for editing one: the same
// fields either way, so each keeps one label, and the heading and the button
// say which it is doing.
import { $, api, flash, showError } from './common.js';
import { readPort } from './sip-fields.js';

/** The languages a site may set (domain/site.ts SITE_LANGUAGES), named in English. */
export const LANGUAGES = {
  en: 'English', de: 'German', fr: 'French', es: 'Spanish', it: 'Italian',
  nl: 'Dutch', pt: 'Portuguese', pl: 'Polish', ru: 'Russian', tr: 'Turkish',
};

const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

function zones() {
  // Intl lists the canonical zones only; UTC is what a site without a place uses.
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes('UTC') ? all : ['UTC', ...all];
}

/** The fields as the API takes them, or {problem, field} to say first. */
function read(editing) {
  const body = {};
  if (!editing) {
    const name = $('#s-name').value.trim();
    if (!NAME.test(name)) return { problem: 'The name must be lowercase letters, digits, dots, dashes or underscores (up to 32), starting with a letter or digit: berlin, not Berlin.', field: '#s-name' };
    body.name = name;
  }
  body.timeZone = $('#s-tz').value.trim();
  if (!body.timeZone) return { problem: 'A site needs its time zone, such as Europe/Berlin.', field: '#s-tz' };
  body.ntpServer = $('#s-ntp').value.trim() || null;
  body.language = $('#s-language').value || null;
  const host = $('#s-host').value.trim();
  const port = readPort($('#s-port').value, 'The registrar port');
  if (port.problem) return { problem: port.problem, field: '#s-port' };
  if (!host && port.port !== null) return { problem: 'A registrar port needs a registrar host.', field: '#s-host' };
  body.server = host ? { host, transport: $('#s-transport').value, ...(port.port !== null ? { port: port.port } : {}) } : null;
  const polling = $('#s-polling').value.trim();
  if (polling && !/^\d{1,5}$/.test(polling)) return { problem: 'Polling is a whole number of minutes, 5 to 10080.', field: '#s-polling' };
  body.polling = polling ? Number(polling) : null;
  return { body };
}

/**
 * `saved(name)` runs after a create or an edit, with the site's name.
 * Returns edit(site): the form takes that site's values.
 */
export function setupSiteForm({ saved }) {
  const form = $('#site-form');
  let editing = null;
  $('#s-zones').replaceChildren(...zones().map((z) => Object.assign(document.createElement('option'), { value: z })));
  $('#s-language').append(...Object.entries(LANGUAGES).map(([code, name]) => Object.assign(document.createElement('option'), { value: code, textContent: name })));

  function mode(site) {
    editing = site?.name ?? null;
    $('#site-form-heading').textContent = editing ? `Edit site ${editing}` : 'New site';
    $('#site-submit').textContent = editing ? 'Save site' : 'Create site';
    $('#site-cancel').hidden = !editing;
    $('#s-name').readOnly = editing !== null;
    showError($('#site-error'), null);
  }

  function edit(site) {
    mode(site);
    $('#s-name').value = site.name;
    $('#s-tz').value = site.timeZone;
    $('#s-ntp').value = site.ntpServer ?? '';
    $('#s-language').value = site.language ?? '';
    $('#s-host').value = site.server?.host ?? '';
    $('#s-port').value = site.server ? String(site.server.port) : '';
    $('#s-transport').value = site.server?.transport ?? 'udp';
    $('#s-polling').value = site.polling === null ? '' : String(site.polling);
    $('#s-tz').focus();
  }

  $('#site-cancel').addEventListener('click', () => {
    const was = editing;
    form.reset();
    mode(null);
    saved(was, { cancelled: true });
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#site-error');
    showError(error, null);
    const { body, problem, field } = read(editing);
    if (problem) {
      showError(error, { message: problem });
      $(field).focus();
      return;
    }
    try {
      const name = editing ?? body.name;
      if (editing) await api('PATCH', `/api/sites/${encodeURIComponent(editing)}`, body);
      else await api('POST', '/api/sites', body);
      flash(editing ? `Site ${name} is saved; the phones in it are re-provisioned.` : `Site ${name} is created.`);
      form.reset();
      mode(null);
      await saved(name);
    } catch (err) {
      showError(error, err);
    }
  });
  return edit;
}
