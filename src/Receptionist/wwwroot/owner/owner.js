import { api, ApiError, bindSignIn, signIn, signOut, $, show, showError, showProblem, clearProblem, showFieldError } from '/shared/api.js';
import { t, translate, language, setLanguage } from '/shared/i18n.js';
import { renderBilling } from '/owner/billing.js';
import { renderMetrics } from '/owner/metrics.js';
import { renderCalls, openCall } from '/owner/calls.js';
import { fillHours, readHours } from '/owner/hours.js';
import { renderDashboard } from '/owner/dashboard.js';

let business = null;

translate();
// One language at a time: the switch re-renders everything in the other one (the API answers in it too).
$('#switch-language').addEventListener('click', async () => {
  setLanguage(language === 'ru' ? 'en' : 'ru');
  if (business) await render();
});

async function start() {
  try {
    await api('GET', '/api/auth/manage/info');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showAuth();
    throw error;
  }
  show($('#auth'), false);
  show($('#sign-out'), true);
  const businesses = await api('GET', '/api/businesses');
  // Links in emails, Telegram and webhook events open a call: /owner/#business=<id>&call=<id>.
  const link = new URLSearchParams(location.hash.slice(1));
  business = businesses.find(b => b.id === link.get('business')) ?? businesses[0] ?? null;
  await render();
  if (business && business.id === link.get('business') && link.get('call')) await openCall(link.get('call'));
}

function showAuth() {
  show($('#auth'), true);
  for (const id of ['#profile', '#forwarding', '#scenario', '#status', '#service', '#dashboard', '#calls', '#billing', '#integrations', '#sign-out']) show($(id), false);
}

bindSignIn(start, t('common.badCredentials'));

$('#register').addEventListener('click', async () => {
  const email = $('#auth-email').value, password = $('#auth-password').value;
  clearProblem($('#auth-form'), $('#auth-error'));
  // Both are separate, explicit and never pre-ticked (152-FZ); the API refuses a sign-up without the first.
  const consents = [['#consent-personal-data', 'owner.consentPersonalDataMissing'], ['#consent-callers-data', 'owner.consentCallersDataMissing']];
  const missing = consents.filter(([box]) => !$(box).checked);
  for (const [box, key] of missing) showFieldError($(box), t(key));
  if (missing.length) return;
  try {
    await api('POST', '/api/auth/register',
      { email, password, personalDataConsent: true, callersDataAgreement: true });
    await signIn(email, password);
    await start();
    // The walk to "live" showed a new owner nothing about the email just sent: say where it went and what to do.
    $('#signed-up-notice').textContent = t('owner.signedUp', { email });
    show($('#signed-up-notice'), true);
  } catch (error) { showProblem($('#auth-form'), $('#auth-error'), error); }
});

// The answer is the same whether or not the address has an account; the email holds a link to /owner/reset.html.
$('#forgot-password').addEventListener('click', async () => {
  const email = $('#auth-email').value.trim();
  clearProblem($('#auth-form'), $('#auth-error'));
  if (!email) return showFieldError($('#auth-email'), t('owner.forgotNeedsEmail'));
  try {
    await api('POST', '/api/auth/forgotPassword', { email });
    $('#auth-notice').textContent = t('owner.forgotSent');
    show($('#auth-notice'), true);
  } catch (error) { showProblem($('#auth-form'), $('#auth-error'), error); }
});

$('#sign-out').addEventListener('click', async () => { await signOut(); business = null; show($('#signed-up-notice'), false); showAuth(); });

$('#profile-form').addEventListener('submit', async event => {
  event.preventDefault();
  const request = {
    name: $('#name').value,
    protectedNumber: $('#protected-number').value,
    timeZone: $('#time-zone').value,
    language: $('#language').value,
    summaryEmails: $('#summary-emails').value.split(',').map(e => e.trim()).filter(Boolean),
    backupNumber: $('#backup-number').value || null,
    fallback: $('#fallback').value,
    ...readHours(),
  };
  clearProblem($('#profile-form'), $('#profile-error'));
  try {
    const created = !business;
    business = business
      ? await api('PUT', `/api/businesses/${business.id}`, request)
      : await api('POST', '/api/businesses', request);
    await render();
    flashSaved($('#profile-saved'));
    // A new business's next step is the forwarding below the long profile form: take the owner there.
    if (created) $('#forwarding').scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (error) { showProblem($('#profile-form'), $('#profile-error'), error); }
});

/** "Saved." beside the button for a few seconds: each step confirms it was kept. */
function flashSaved(element) {
  show(element, true);
  clearTimeout(element.hideTimer);
  element.hideTimer = setTimeout(() => show(element, false), 4000);
}

// Back from Stripe's checkout before Stripe's report reached us: billing.js asks again, and the steps follow.
document.addEventListener('billing:changed', () => business && renderStatus());

async function render() {
  translate();
  show($('#profile'), true);
  $('#profile-title').textContent = business ? business.name : t('owner.profileTitle');
  fillHours(business);
  if (business) {
    $('#name').value = business.name;
    $('#protected-number').value = business.protectedNumber;
    $('#time-zone').value = business.timeZone;
    $('#language').value = business.language;
    $('#summary-emails').value = business.summaryEmails.join(', ');
    $('#backup-number').value = business.backupNumber ?? '';
    $('#fallback').value = business.fallback;
  }
  for (const id of ['#forwarding', '#scenario', '#status', '#calls', '#integrations']) show($(id), !!business);
  if (!business) return;
  await Promise.all([renderForwarding(), renderScenario(), renderStatus(), renderCalls(business), renderBilling(business), renderMetrics(business), renderDashboard(business)]);
}

// The check's progress while the test call is out (up to 90 s), then its result as a sentence with what to do.
function showCheck(check) {
  const seconds = Math.min(90, Math.round((Date.now() - new Date(check.startedAt)) / 1000));
  const key = check.state === 'pending' ? 'owner.checkPending' : check.state === 'passed' ? 'owner.checkPassed'
    : { timeout: 'owner.checkTimeout', replaced: 'owner.checkReplaced' }[check.reasonCode] ?? 'owner.checkNotPlaced';
  $('#check-state').textContent = t(key, { seconds });
  $('#check-state').dataset.state = check.state;
  $('#check-state').className = check.state === 'failed' ? 'error' : check.state === 'passed' ? 'saved' : 'muted';
  show($('#check-state'), true);
  $('#check-progress').value = seconds;
  show($('#check-progress'), check.state === 'pending');
}

$('#start-check').addEventListener('click', async () => {
  try {
    let check = await api('POST', `/api/businesses/${business.id}/forwarding/check`);
    showCheck(check);
    while (check.state === 'pending') {
      await new Promise(resolve => setTimeout(resolve, 2000));
      check = await api('GET', `/api/businesses/${business.id}/forwarding/check`);
      showCheck(check);
    }
    await renderStatus();
  } catch (error) { showError($('#check-state'), error); }
});

// The built-ins side by side, each rendered on the owner's own business (name, hours, language): one click picks one,
// and its text then waits in "your own scenario" to be edited.
async function renderScenario() {
  const [builtIns, current] = await Promise.all([
    api('GET', `/api/businesses/${business.id}/scenario/built-ins`),
    api('GET', `/api/businesses/${business.id}/scenario`).catch(error => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
  ]);
  $('#builtin-cards').replaceChildren(...builtIns.map(builtIn => scenarioCard(builtIn, current?.builtIn === builtIn.key)));
  const name = current && (current.builtIn ? builtIns.find(s => s.key === current.builtIn)?.title : t('owner.scenarioOwnText'));
  $('#scenario-current').textContent = current ? t('owner.scenarioCurrent', { number: current.number, name }) : t('owner.scenarioNone');
  $('#scenario-source').value = current?.source ?? builtIns[0]?.source ?? '';
}

function scenarioCard(builtIn, chosen) {
  const card = document.createElement('article');
  card.className = chosen ? 'card chosen' : 'card';
  card.dataset.key = builtIn.key;
  const title = Object.assign(document.createElement('h3'), { textContent: builtIn.title });
  const description = Object.assign(document.createElement('p'), { className: 'muted', textContent: builtIn.description });
  const greeting = Object.assign(document.createElement('p'), {
    className: 'greeting', textContent: builtIn.preview?.greeting ?? t('scenarioCards.noPreview'),
  });
  const more = document.createElement('details');
  more.append(Object.assign(document.createElement('summary'), { textContent: t('scenarioCards.details') }));
  if (builtIn.preview) {
    const fields = document.createElement('div');
    fields.append(...fieldsForm(builtIn.preview.fields));
    more.append(Object.assign(document.createElement('pre'), { textContent: builtIn.preview.script }), fields);
  }
  const choose = Object.assign(document.createElement('button'), {
    type: 'button', disabled: chosen, textContent: t(chosen ? 'scenarioCards.chosen' : 'scenarioCards.choose'),
  });
  choose.addEventListener('click', async () => {
    if (await saveScenario({ builtIn: builtIn.key })) $('#own-scenario').open = true;
  });
  card.append(title, description, greeting, more, choose);
  return card;
}

/** The form the operator fills for a scenario, shown disabled: what they will be asked to write down. */
function fieldsForm(fields) {
  return fields.map(field => {
    const box = document.createElement('div');
    const label = Object.assign(document.createElement('label'), { textContent: field.label + (field.required ? ' *' : '') });
    const input = field.type === 'choice'
      ? Object.assign(document.createElement('select'), { disabled: true })
      : Object.assign(document.createElement(field.type === 'longtext' ? 'textarea' : 'input'), { disabled: true });
    for (const choice of field.choices ?? []) input.append(Object.assign(document.createElement('option'), { textContent: choice }));
    box.dataset.field = field.name;
    box.append(label, input);
    return box;
  });
}

async function saveScenario(request) {
  clearProblem($('#scenario'), $('#scenario-error'));
  try {
    await api('PUT', `/api/businesses/${business.id}/scenario`, request);
    await Promise.all([renderScenario(), renderStatus()]);
    flashSaved($('#scenario-saved'));
    return true;
  } catch (error) { showProblem($('#scenario'), $('#scenario-error'), error); return false; }
}

$('#save-scenario').addEventListener('click', () => saveScenario({ source: $('#scenario-source').value }));

$('#preview-scenario').addEventListener('click', async () => {
  try {
    // On the owner's own business: its name, hours and "now", exactly what the operator will read, with the form they fill.
    const preview = await api('POST', '/api/scenarios/preview', { source: $('#scenario-source').value, businessId: business.id });
    $('#preview-greeting').textContent = preview.greeting;
    $('#preview-script').textContent = preview.script;
    $('#preview-fields').replaceChildren(...fieldsForm(preview.fields));
    show($('#scenario-preview'), true);
    clearProblem($('#scenario'), $('#scenario-error'));
  } catch (error) { show($('#scenario-preview'), false); showProblem($('#scenario'), $('#scenario-error'), error); }
});

async function renderStatus() {
  const status = await api('GET', `/api/businesses/${business.id}/status`);
  $('#live-badge').textContent = t(status.live ? 'owner.live' : 'owner.notLive');
  $('#live-badge').classList.toggle('live', status.live);
  // The steps of going live, in order, the first not done being the current one (the checklist says what is missing).
  const done = Object.fromEntries(status.items.map(item => [item.key, item.done]));
  // Each step links to the part of the page where it is done: on a long page the plans are far below the steps.
  const steps = [['company', done.profile, 'profile'], ['number', done.line, 'forwarding'], ['forwarding', done.forwarding, 'forwarding'],
    ['check', done.forwarding, 'start-check'], ['scenario', done.scenario, 'scenario'], ['plan', done.subscription, 'billing'],
    ['live', status.live, 'status']];
  const current = steps.findIndex(([, finished]) => !finished);
  $('#steps').replaceChildren(...steps.map(([step, finished, section], index) => {
    const item = Object.assign(document.createElement('li'), {
      className: finished ? 'done' : index === current ? 'current' : '', ...(index === current ? { ariaCurrent: 'step' } : {}),
    });
    const link = Object.assign(document.createElement('a'), { href: `#${section}`, textContent: t(`steps.${step}`) });
    link.dataset.step = step;
    item.append(link);
    return item;
  }));
  $('#checklist').replaceChildren(...status.items.map(item => {
    const li = document.createElement('li');
    li.className = item.done ? 'done' : '';
    li.dataset.key = item.key;
    li.textContent = item.title + (item.detail ? ` — ${item.detail}` : '');
    return li;
  }));
}

async function renderForwarding() {
  $('#line-number').textContent = business.lineNumber ?? '';
  show($('#awaiting-line'), !business.lineNumber);
  show($('#forwarding-codes'), !!business.lineNumber);
  if (!business.lineNumber) return;
  const forwarding = await api('GET', `/api/businesses/${business.id}/forwarding`);
  $('#recommended-title').textContent = forwarding.recommended.title;
  $('#recommended-text').textContent = forwarding.recommended.explanation;
  $('#recommended-dial').replaceChildren(...forwarding.recommended.dial.map(code => {
    const span = document.createElement('span');
    span.className = 'code';
    span.textContent = code;
    return span;
  }).flatMap((span, i) => i ? [document.createTextNode(' '), span] : [span]));
  $('#mobile-codes').replaceChildren(...forwarding.mobile.map(code => {
    const row = document.createElement('tr');
    for (const text of [code.title, code.activate, code.cancel]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    row.dataset.kind = code.kind;
    return row;
  }));
  $('#pbx-guides').replaceChildren(...forwarding.cloudPbx.map(guide => {
    const block = document.createElement('div');
    const title = document.createElement('h3');
    title.textContent = guide.title;
    const steps = document.createElement('ol');
    steps.append(...guide.steps.map(step => Object.assign(document.createElement('li'), { textContent: step })));
    block.append(title, steps);
    return block;
  }));
}

start().catch(error => console.error(error));
