// The "block this caller" link of a summary email: it only asks; the number is blocked when the owner confirms,
// so a mail scanner that follows links blocks nobody.
import { api, $, show, showError } from '/shared/api.js';
import { t, translate, setLanguage, language } from '/shared/i18n.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
let link = null;

function render() {
  if (!link) return;
  $('#block-question').textContent = t('block.question', { number: link.number, business: link.businessName });
  $('#block-done').textContent = t('block.done', { number: link.number, business: link.businessName });
  show($('#block-ask'), !link.blocked);
  show($('#block-done'), link.blocked);
}

function fail(error) {
  // The API names the token field; the page says it in the page's language.
  showError($('#block-error'), error.status === 400 ? new Error(t('block.invalid')) : error);
}

$('#language').value = language;
$('#language').addEventListener('change', event => { setLanguage(event.target.value); render(); });
translate();

$('#block-confirm').addEventListener('click', async () => {
  try {
    link = await api('POST', '/api/block-link', { token });
    render();
  } catch (error) { fail(error); }
});

try {
  link = await api('GET', `/api/block-link?token=${encodeURIComponent(token)}`);
  render();
} catch (error) { fail(error); }
