// The owner's subscription: plans to buy, the state, this period's calls. owner.js calls renderBilling(business).
import { api, $, show, showError } from '/shared/api.js';

const statusText = {
  none: 'нет подписки / no subscription',
  active: 'активна / active',
  pastDue: 'платёж не прошёл / payment failed',
  canceled: 'отменена / canceled',
};

const rubles = amount => `${amount.toLocaleString('ru-RU')} ₽`;
const date = iso => new Date(iso).toLocaleDateString('ru-RU');

export async function renderBilling(business) {
  const section = $('#billing');
  show(section, !!business);
  if (!business) return;
  show($('#billing-error'), false);
  try {
    const [billing, plans] = await Promise.all([
      api('GET', `/api/businesses/${business.id}/billing`),
      api('GET', '/api/billing/plans'),
    ]);
    renderNotice();
    renderSummary(billing);
    const subscribed = billing.status === 'active' || billing.status === 'pastDue';
    renderPlans(subscribed ? [] : plans, business);
    const portal = $('#billing-portal');
    show(portal, billing.canManage);
    portal.onclick = () => go(`/api/businesses/${business.id}/billing/portal`);
  } catch (error) { showError($('#billing-error'), error); }
}

// Stripe sends the owner back here with ?billing=success or ?billing=canceled.
function renderNotice() {
  const outcome = new URLSearchParams(location.search).get('billing');
  const notice = $('#billing-notice');
  notice.textContent = outcome === 'success'
    ? 'Спасибо! Подписка заработает, как только Stripe подтвердит оплату (обычно за минуту). / Thank you: the subscription starts once Stripe confirms the payment.'
    : outcome === 'canceled' ? 'Оплата отменена. / Payment canceled.' : '';
  show(notice, !!notice.textContent);
}

function renderSummary(billing) {
  const badge = $('#billing-status');
  badge.textContent = statusText[billing.status] ?? billing.status;
  badge.classList.toggle('live', billing.callsAnswered);
  const rows = [];
  if (billing.plan) rows.push(['Тариф / Plan', `${billing.plan.name}, ${rubles(billing.plan.priceRub)} в месяц`]);
  if (billing.status === 'pastDue' && billing.graceUntil)
    rows.push(['Звонки принимаются до / Calls answered until', new Date(billing.graceUntil).toLocaleString('ru-RU')]);
  if (billing.periodStart && billing.periodEnd)
    rows.push(['Период / Period', `${date(billing.periodStart)} — ${date(billing.periodEnd)}`]);
  if (billing.plan) {
    rows.push(['Звонков в периоде / Calls this period', `${billing.callsUsed} из ${billing.plan.includedCalls}`]);
    rows.push(['Не оплачиваются (ждали дольше нормы) / Not billed (SLA)', String(billing.callsNotBilledSla)]);
    rows.push(['Не тарифицирован: спам / Not billed: spam', String(billing.callsNotBilledSpam)]);
    rows.push(['Сверх тарифа / Overage', `${billing.overageCalls} (${rubles(billing.overageRub)})`]);
  }
  $('#billing-summary tbody').replaceChildren(...rows.map(([label, value]) => {
    const row = document.createElement('tr');
    row.append(...[label, value].map(text => Object.assign(document.createElement('td'), { textContent: text })));
    return row;
  }));
  show($('#billing-summary'), rows.length > 0);
}

function renderPlans(plans, business) {
  $('#billing-plans').replaceChildren(...plans.map(plan => {
    const card = document.createElement('div');
    card.dataset.plan = plan.key;
    const title = Object.assign(document.createElement('h3'), { textContent: plan.name });
    const price = Object.assign(document.createElement('p'), {
      textContent: `${rubles(plan.priceRub)} в месяц, ${plan.includedCalls} звонков; сверх — ${rubles(plan.overageRub)} за звонок`,
    });
    const buy = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Оформить / Subscribe' });
    buy.onclick = () => go(`/api/businesses/${business.id}/billing/checkout`, { plan: plan.key });
    card.append(title, price, buy);
    return card;
  }));
}

// Checkout and the portal are Stripe's hosted pages: ask for one, then leave for it.
async function go(path, body) {
  try {
    const { url } = await api('POST', path, body);
    location.assign(url);
  } catch (error) { showError($('#billing-error'), error); }
}
