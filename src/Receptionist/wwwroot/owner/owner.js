import { api, ApiError, bindSignIn, signIn, signOut, $, show, showError } from '/shared/api.js';
import { renderBilling } from '/owner/billing.js';
import { renderMetrics } from '/owner/metrics.js';

let business = null;

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
  business = businesses[0] ?? null;
  render();
}

function showAuth() {
  show($('#auth'), true);
  for (const id of ['#profile', '#forwarding', '#scenario', '#status', '#service', '#calls', '#billing', '#sign-out']) show($(id), false);
}

bindSignIn(start, 'Неверный email или пароль.');

$('#register').addEventListener('click', async () => {
  const email = $('#auth-email').value, password = $('#auth-password').value;
  // Both are separate, explicit and never pre-ticked (152-FZ); the API refuses a sign-up without the first.
  const consents = [['#consent-personal-data', 'Без согласия на обработку персональных данных зарегистрироваться нельзя.'],
    ['#consent-callers-data', 'Без поручения обрабатывать данные звонящих операторы не смогут принимать ваши звонки.']];
  let missing = false;
  for (const [box, sentence] of consents) {
    const unchecked = !$(box).checked;
    $(`${box}-error`).textContent = sentence;
    show($(`${box}-error`), unchecked);
    missing ||= unchecked;
  }
  if (missing) return;
  try {
    await api('POST', '/api/auth/register',
      { email, password, personalDataConsent: true, callersDataAgreement: true });
    await signIn(email, password);
    await start();
  } catch (error) { showError($('#auth-error'), error); }
});

// The answer is the same whether or not the address has an account; the email holds a link to /owner/reset.html.
$('#forgot-password').addEventListener('click', async () => {
  const email = $('#auth-email').value.trim();
  if (!email) return showError($('#auth-error'), new Error('Введите email, на который зарегистрирован кабинет.'));
  try {
    await api('POST', '/api/auth/forgotPassword', { email });
    show($('#auth-error'), false);
    $('#auth-notice').textContent = 'Если этот адрес зарегистрирован и подтверждён, мы отправили на него письмо со ссылкой для нового пароля.';
    show($('#auth-notice'), true);
  } catch (error) { showError($('#auth-error'), error); }
});

$('#sign-out').addEventListener('click', async () => { await signOut(); business = null; showAuth(); });

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
    hours: business?.hours,
    holidays: business?.holidays,
  };
  try {
    business = business
      ? await api('PUT', `/api/businesses/${business.id}`, request)
      : await api('POST', '/api/businesses', request);
    show($('#profile-error'), false);
    render();
  } catch (error) { showError($('#profile-error'), error); }
});

async function render() {
  show($('#profile'), true);
  $('#profile-title').textContent = business ? business.name : 'Ваша компания';
  if (business) {
    $('#name').value = business.name;
    $('#protected-number').value = business.protectedNumber;
    $('#time-zone').value = business.timeZone;
    $('#language').value = business.language;
    $('#summary-emails').value = business.summaryEmails.join(', ');
    $('#backup-number').value = business.backupNumber ?? '';
    $('#fallback').value = business.fallback;
  }
  for (const id of ['#forwarding', '#scenario', '#status', '#calls']) show($(id), !!business);
  if (!business) return;
  await Promise.all([renderForwarding(), renderScenario(), renderStatus(), renderCalls(), renderBilling(business), renderMetrics(business)]);
}

const stateNames = { pending: 'Ждём звонок обратно…', passed: 'Переадресация работает', failed: 'Проверка не прошла' };

function showCheck(check) {
  const text = stateNames[check.state] + (check.failureReason ? `: ${check.failureReason}` : '');
  $('#check-state').textContent = text;
  $('#check-state').dataset.state = check.state;
  show($('#check-state'), true);
}

$('#start-check').addEventListener('click', async () => {
  try {
    let check = await api('POST', `/api/businesses/${business.id}/forwarding/check`);
    showCheck(check);
    while (check.state === 'pending') {
      await new Promise(resolve => setTimeout(resolve, 3000));
      check = await api('GET', `/api/businesses/${business.id}/forwarding/check`);
      showCheck(check);
    }
    await renderStatus();
  } catch (error) { showError($('#check-state'), error); }
});

let builtIns = [];

async function renderScenario() {
  builtIns = await api('GET', `/api/scenarios?language=${business.language}`);
  $('#builtin').replaceChildren(...builtIns.map(s => Object.assign(document.createElement('option'), { value: s.key, textContent: s.title })));
  try {
    const current = await api('GET', `/api/businesses/${business.id}/scenario`);
    $('#scenario-current').textContent = `Сейчас: версия ${current.number}` + (current.builtIn ? ` (${current.builtIn})` : ' (свой текст)');
    $('#scenario-source').value = current.source;
    if (current.builtIn) $('#builtin').value = current.builtIn;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    $('#scenario-current').textContent = 'Сценарий ещё не выбран.';
  }
  describeBuiltIn();
}

function describeBuiltIn() {
  const chosen = builtIns.find(s => s.key === $('#builtin').value);
  $('#builtin-description').textContent = chosen?.description ?? '';
  if (chosen && !$('#scenario-source').value) $('#scenario-source').value = chosen.source;
}

$('#builtin').addEventListener('change', () => { $('#scenario-source').value = ''; describeBuiltIn(); });

async function saveScenario(request) {
  try {
    await api('PUT', `/api/businesses/${business.id}/scenario`, request);
    show($('#scenario-error'), false);
    await Promise.all([renderScenario(), renderStatus()]);
  } catch (error) { showError($('#scenario-error'), error); }
}

$('#choose-builtin').addEventListener('click', () => saveScenario({ builtIn: $('#builtin').value }));
$('#save-scenario').addEventListener('click', () => saveScenario({ source: $('#scenario-source').value }));

$('#preview-scenario').addEventListener('click', async () => {
  try {
    const preview = await api('POST', '/api/scenarios/preview', { source: $('#scenario-source').value, language: business.language });
    $('#preview-greeting').textContent = preview.greeting;
    $('#preview-script').textContent = preview.script;
    show($('#scenario-preview'), true);
    show($('#scenario-error'), false);
  } catch (error) { show($('#scenario-preview'), false); showError($('#scenario-error'), error); }
});

async function renderStatus() {
  const status = await api('GET', `/api/businesses/${business.id}/status`);
  $('#live-badge').textContent = status.live ? 'подключено' : 'не подключено';
  $('#live-badge').classList.toggle('live', status.live);
  $('#checklist').replaceChildren(...status.items.map(item => {
    const li = document.createElement('li');
    li.className = item.done ? 'done' : '';
    li.dataset.key = item.key;
    li.textContent = item.title + (item.detail ? ` — ${item.detail}` : '');
    return li;
  }));
}

const outcomeNames = { answered: 'Принят оператором', abandoned: 'Звонящий не дождался', overflowed: 'Операторы заняты', notLive: 'Не подключено', failed: 'Сбой' };

async function renderCalls() {
  const page = await api('GET', `/api/businesses/${business.id}/calls?pageSize=20`);
  $('#call-rows').replaceChildren(...page.items.map(call => {
    const row = document.createElement('tr');
    const cells = [new Date(call.receivedAt).toLocaleString('ru-RU'), call.callerNumber,
      outcomeNames[call.outcome] ?? 'Идёт', call.waitSeconds == null ? '—' : `${call.waitSeconds} с`];
    row.append(...cells.map(text => Object.assign(document.createElement('td'), { textContent: text })));
    return row;
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
