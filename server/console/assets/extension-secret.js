// The Extension Secret on the extension tab. Masked and absent from the page
// until the admin asks: Show and Copy read it (each audited). Generate and
// Save of a typed secret each ask first, naming the phones that will be
// re-provisioned, and then leave the new secret shown in the field: the
// admin has just made it and will usually enter it somewhere next.
import { $, api, flash } from './common.js';
import { showMasked, watchSecret } from './secret-field.js';

/**
 * `panel`: {path, affectedText(), changed(result, how)} from extension.js.
 * Returns what the tab's Save and the live stream need.
 */
export function setupSecret(panel) {
  const input = $('#f-secret');
  const toggle = $('#secret-toggle');
  // The secret as the page holds it after a reveal, Generate or Save; null before.
  let known = null;
  let typed = false;
  // While our own change is on its way, the stream's word of a new version is
  // that change (its event may come before the answer); the highest heard is
  // kept, to tell afterwards whether someone else changed it again.
  let changing = false;
  let heard = 0;

  input.addEventListener('input', () => {
    typed = input.value !== '' && input.value !== known;
  });
  const check = watchSecret(input, $('#secret-error'), { active: () => typed });
  const mask = (masked) => showMasked(input, toggle, masked);

  function forget() {
    known = null;
    typed = false;
    input.value = '';
    check();
    mask(true);
  }

  function show(secret) {
    known = secret;
    typed = false;
    input.value = secret;
    check();
    mask(false);
  }

  /** After our own change: shows the new secret, unless another change has replaced it since. */
  function land(result, how, secret) {
    panel.changed(result, how);
    if (heard > result.version) {
      forget();
      flash(`${how} (version ${result.version}), but it was changed again since (version ${heard}); show it to see the current one.`, 'error');
    } else {
      show(secret);
    }
  }

  async function reveal(purpose) {
    return api('GET', `${panel.path}/secret${purpose ? `?purpose=${purpose}` : ''}`);
  }

  toggle.addEventListener('click', async () => {
    if (input.type !== 'password') return mask(true);
    try {
      if (!typed && known === null) show((await reveal()).secret);
      else mask(false);
    } catch (err) {
      flash(err.message, 'error');
    }
  });

  $('#secret-copy').addEventListener('click', async () => {
    try {
      const value = typed ? input.value : (await reveal('copy')).secret;
      await navigator.clipboard.writeText(value);
      flash(typed ? 'The typed secret was copied (it is not saved yet).' : 'Secret copied to the clipboard.');
    } catch (err) {
      flash(err.message ?? 'The clipboard cannot be written here.', 'error');
    }
  });

  const ask = (dialog, text) =>
    new Promise((resolve) => {
      dialog.querySelector('[id$="-text"]').textContent = text;
      const done = (yes) => () => {
        dialog.close();
        resolve(yes);
      };
      const yes = dialog.querySelector('.primary');
      const no = dialog.querySelector('.actions button:not(.primary)');
      yes.onclick = done(true);
      no.onclick = done(false);
      // Escape closes the dialog without either button.
      dialog.onclose = () => resolve(false);
      dialog.showModal();
    });

  $('#secret-generate').addEventListener('click', async () => {
    const text = `A new random secret replaces the current one. ${panel.affectedText()} will be updated with it.`;
    if (!(await ask($('#confirm-generate'), text))) return;
    changing = true;
    try {
      // The answer carries the new secret: showing it is part of the change (audited once, as shown).
      const result = await api('POST', `${panel.path}/secret/generate`);
      land(result, 'New secret generated', result.secret);
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      changing = false;
    }
  });

  return {
    /** The typed secret's rule problem, shown at the field; null when fine or nothing is typed. */
    problem: () => check(),
    typed: () => typed,
    focus: () => input.focus(),
    /** Asks before a typed secret is saved, as Generate does. */
    confirmSave: () =>
      ask($('#confirm-save'), `The typed secret replaces the current one. ${panel.affectedText()} will be updated with it.`),
    /** Stores the typed secret (PUT), then shows it: the page already holds what was typed, so nothing is read back. */
    async save() {
      const value = input.value;
      changing = true;
      try {
        land(await api('PUT', `${panel.path}/secret`, { secret: value }), 'Secret saved', value);
      } finally {
        changing = false;
      }
    },
    /** The stream says the secret version changed: someone else's change makes what is shown stale. */
    versionChanged(version) {
      heard = Math.max(heard, version);
      if (!changing && !typed) forget();
    },
  };
}
