// The front door: the offer, the plans from the same catalogue billing uses. One language at a time; the contact and
// the operator's name come filled in by the server (Legal__ContactEmail, Legal__OperatorName).
import { api, $ } from '/shared/api.js';
import { t, translate, language, setLanguage } from '/shared/i18n.js';

const rubles = amount => `${amount.toLocaleString(language)} ₽`;

async function render() {
  translate();
  const english = language === 'en' ? '?lang=en' : '';
  $('#privacy-link').href = `/privacy${english}`;
  $('#terms-link').href = `/terms${english}`;
  const plans = await api('GET', '/api/billing/plans');
  $('#plans').replaceChildren(...plans.map(plan => {
    const row = document.createElement('tr');
    row.dataset.plan = plan.key;
    for (const text of [plan.name, rubles(plan.priceRub), String(plan.includedCalls), t('front.perCall', { price: rubles(plan.overageRub) })])
      row.insertCell().textContent = text;
    return row;
  }));
}

$('#switch-language').addEventListener('click', () => { setLanguage(language === 'ru' ? 'en' : 'ru'); render(); });
render().catch(error => console.error(error));
