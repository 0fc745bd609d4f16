import { $, api, showError, start } from './common.js';

start(() => {
  $('#sign-in-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#form-error');
    showError(error, null);
    try {
      await api('POST', '/api/session', { username: $('#username').value.trim(), password: $('#password').value });
      location.assign('/extensions');
    } catch (err) {
      showError(error, err);
      $('#password').select();
    }
  });
});
