import { $, api, showError, start } from './common.js';

start(() => {
  const form = $('#setup-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#form-error');
    showError(error, null);
    const body = {
      setupCode: $('#setup-code').value.trim(),
      username: $('#username').value.trim(),
      password: $('#password').value,
    };
    try {
      await api('POST', '/api/setup', body);
      location.assign('/extensions');
    } catch (err) {
      showError(error, err);
    }
  });
});
