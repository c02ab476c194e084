// The pages the account emails link to: confirming the address, and setting a new password with the emailed code.
import { api, ApiError, $, show } from '/shared/api.js';
import { t, translate } from '/shared/i18n.js';

translate();
const query = new URLSearchParams(location.search);

if ($('#confirm')) {
  const result = $('#confirm-result');
  try {
    // Identity's endpoint answers plain text, not JSON: only the status matters here.
    const response = await fetch(`/api/auth/confirmEmail?${new URLSearchParams({ userId: query.get('userId') ?? '', code: query.get('code') ?? '' })}`,
      { credentials: 'same-origin' });
    result.textContent = t(response.ok ? 'account.confirmed' : 'account.confirmFailed');
  } catch { result.textContent = t('account.confirmFailed'); }
  result.dataset.state = result.textContent === t('account.confirmed') ? 'confirmed' : 'failed';
}

if ($('#reset')) {
  $('#reset-email').value = query.get('email') ?? '';
  $('#reset-code').value = query.get('code') ?? '';
  $('#reset-form').addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await api('POST', '/api/auth/resetPassword',
        { email: $('#reset-email').value, resetCode: $('#reset-code').value, newPassword: $('#reset-password').value });
      show($('#reset-form'), false);
      show($('#reset-done'), true);
    } catch (error) {
      // Identity answers a wrong or used code and a weak password alike with field errors; say which in a sentence.
      const fields = error instanceof ApiError ? Object.keys(error.problem?.errors ?? {}) : [];
      $('#reset-error').textContent = t(fields.some(f => f.startsWith('Password')) ? 'account.resetWeakPassword' : 'account.resetBadCode');
      show($('#reset-error'), true);
    }
  });
}
