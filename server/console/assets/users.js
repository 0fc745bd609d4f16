// Users and API tokens, for admins: create, change role, remove.
import { $, api, flash, h, showError, start, when } from './common.js';

async function loadUsers() {
  const users = await api('GET', '/api/users');
  $('#users tbody').replaceChildren(
    ...users.map((u) => {
      const other = u.role === 'admin' ? 'viewer' : 'admin';
      return h('tr', { 'data-user': u.username }, h('td', {}, u.username), h('td', {}, u.role), h('td', {}, when(u.createdAt)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Make ${other}: ${u.username}`, onclick: () => change(u.username, { role: other }) }, `Make ${other}`),
          ' ',
          h('button', { type: 'button', 'aria-label': `Set password: ${u.username}`, onclick: () => setPassword(u.username) }, 'Set password'),
          ' ',
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${u.username}`, onclick: () => remove(u.username) }, 'Remove')));
    }),
  );
}

async function loadTokens() {
  const tokens = await api('GET', '/api/tokens');
  $('#tokens tbody').replaceChildren(
    ...tokens.map((t) =>
      h('tr', {}, h('td', {}, t.name), h('td', {}, t.role), h('td', {}, t.realms ? t.realms.join(', ') || 'none' : '—'), h('td', {}, when(t.createdAt)),
        h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke token ${t.name}`, onclick: () => revokeToken(t) }, 'Revoke'))),
    ),
  );
}

async function change(username, patch) {
  try {
    await api('PATCH', `/api/users/${encodeURIComponent(username)}`, patch);
    await loadUsers();
    flash(`${username} changed; their sessions were signed out.`);
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function setPassword(username) {
  const password = prompt(`New password for ${username} (at least 10 characters). They will be signed out.`);
  if (password) await change(username, { password });
}

async function remove(username) {
  if (!confirm(`Remove ${username}?`)) return;
  try {
    await api('DELETE', `/api/users/${encodeURIComponent(username)}`);
    await loadUsers();
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function revokeToken(t) {
  if (!confirm(`Revoke the token ${t.name}? Scripts using it stop working.`)) return;
  try {
    await api('DELETE', `/api/tokens/${t.id}`);
    await loadTokens();
  } catch (err) {
    flash(err.message, 'error');
  }
}

start(async () => {
  await Promise.all([loadUsers(), loadTokens()]);
  $('#user-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    showError($('#user-error'), null);
    try {
      await api('POST', '/api/users', { username: $('#u-name').value.trim(), role: $('#u-role').value, password: $('#u-password').value });
      e.target.reset();
      await loadUsers();
      flash('User created.');
    } catch (err) {
      showError($('#user-error'), err);
    }
  });
  // A registrar's token is bound to its realms: asked for only when that is the role.
  $('#t-role').addEventListener('change', () => {
    $('#t-realms-field').hidden = $('#t-role').value !== 'pbx';
  });
  $('#token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    showError($('#token-error'), null);
    try {
      const role = $('#t-role').value;
      const body = { name: $('#t-name').value.trim(), role };
      if (role === 'pbx') body.realms = $('#t-realms').value.split(/[\s,]+/).filter(Boolean);
      const made = await api('POST', '/api/tokens', body);
      e.target.reset();
      $('#t-realms-field').hidden = true;
      $('#new-token').hidden = false;
      $('#token-value').value = made.token;
      await loadTokens();
    } catch (err) {
      showError($('#token-error'), err);
    }
  });
  $('#copy-token').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('#token-value').value);
      flash('Token copied.');
    } catch {
      $('#token-value').select();
    }
  });
});
