// The front door: the offer, the plans from the same catalogue billing uses, the contact. One language at a time.
import { api, $ } from '/shared/api.js';
import { t, translate, language, setLanguage } from '/shared/i18n.js';

const rubles = amount => `${amount.toLocaleString(language)} ₽`;

async function render() {
  translate();
  const english = language === 'en' ? '?lang=en' : '';
  $('#privacy-link').href = `/privacy${english}`;
  $('#terms-link').href = `/terms${english}`;
  const [plans, legal] = await Promise.all([api('GET', '/api/billing/plans'), api('GET', '/api/legal')]);
  $('#plans').replaceChildren(...plans.map(plan => {
    const row = document.createElement('tr');
    row.dataset.plan = plan.key;
    for (const text of [plan.name, rubles(plan.priceRub), String(plan.includedCalls), t('front.perCall', { price: rubles(plan.overageRub) })])
      row.insertCell().textContent = text;
    return row;
  }));
  $('#contact-email').href = `mailto:${legal.contactEmail}`;
  $('#contact-email').textContent = legal.contactEmail;
}

$('#switch-language').addEventListener('click', () => { setLanguage(language === 'ru' ? 'en' : 'ru'); render(); });
render().catch(error => console.error(error));
