// The owner's subscription: plans to buy, the state, this period's calls. owner.js calls renderBilling(business).
import { api, $, show, showError } from '/shared/api.js';
import { t, language } from '/shared/i18n.js';

const rubles = amount => `${amount.toLocaleString(language)} ₽`;
const date = iso => new Date(iso).toLocaleDateString(language);

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
    const subscribed = billing.status === 'active' || billing.status === 'pastDue';
    renderNotice(subscribed);
    renderSummary(billing);
    awaitPayment(business, subscribed);
    renderPlans(subscribed ? [] : plans, business);
    const portal = $('#billing-portal');
    show(portal, billing.canManage);
    portal.onclick = () => go(`/api/businesses/${business.id}/billing/portal`);
  } catch (error) { showError($('#billing-error'), error); }
}

// Stripe sends the owner back often before its webhook arrives: look again every 3 s for a minute, then tell the
// rest of the page (the steps) once the subscription shows.
let paymentChecks = 0;
function awaitPayment(business, subscribed) {
  const back = new URLSearchParams(location.search).get('billing') === 'success';
  if (back && subscribed && paymentChecks > 0) document.dispatchEvent(new Event('billing:changed'));
  if (back && !subscribed && paymentChecks < 20) {
    paymentChecks += 1;
    setTimeout(() => renderBilling(business), 3000);
  }
}

// Stripe sends the owner back here with ?billing=success or ?billing=canceled; "thanks, waiting" turns into "paid".
function renderNotice(subscribed) {
  const outcome = new URLSearchParams(location.search).get('billing');
  const notice = $('#billing-notice');
  notice.textContent = outcome === 'success' ? t(subscribed ? 'billing.paid' : 'billing.thanks')
    : outcome === 'canceled' ? t('billing.canceledCheckout') : '';
  show(notice, !!notice.textContent);
}

function renderSummary(billing) {
  const badge = $('#billing-status');
  badge.textContent = t(`billing.status.${billing.status}`);
  badge.classList.toggle('live', billing.callsAnswered);
  const rows = [];
  if (billing.plan) rows.push([t('billing.plan'), t('billing.planValue', { name: billing.plan.name, price: rubles(billing.plan.priceRub) })]);
  if (billing.status === 'pastDue' && billing.graceUntil)
    rows.push([t('billing.graceUntil'), new Date(billing.graceUntil).toLocaleString(language)]);
  if (billing.periodStart && billing.periodEnd)
    rows.push([t('billing.period'), `${date(billing.periodStart)} — ${date(billing.periodEnd)}`]);
  if (billing.plan) {
    rows.push([t('billing.callsUsed'), t('billing.callsUsedValue', { used: billing.callsUsed, included: billing.plan.includedCalls })]);
    rows.push([t('billing.notBilled'), String(billing.callsNotBilledSla)]);
    rows.push([t('billing.notBilledSpam'), String(billing.callsNotBilledSpam)]);
    rows.push([t('billing.overage'), `${billing.overageCalls} (${rubles(billing.overageRub)})`]);
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
      textContent: t('billing.planOffer', { price: rubles(plan.priceRub), included: plan.includedCalls, overage: rubles(plan.overageRub) }),
    });
    const buy = Object.assign(document.createElement('button'), { type: 'button', textContent: t('billing.subscribe') });
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
