import { api, ApiError, signIn, signOut, $, show, showError } from '/shared/api.js';

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
  for (const id of ['#profile', '#forwarding', '#status', '#sign-out']) show($(id), false);
}

$('#auth-form').addEventListener('submit', async event => {
  event.preventDefault();
  try {
    await signIn($('#auth-email').value, $('#auth-password').value);
    await start();
  } catch (error) { showError($('#auth-error'), error); }
});

$('#register').addEventListener('click', async () => {
  const email = $('#auth-email').value, password = $('#auth-password').value;
  try {
    await api('POST', '/api/auth/register', { email, password });
    await signIn(email, password);
    await start();
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
  show($('#forwarding'), !!business);
  show($('#status'), !!business);
  if (!business) return;
  await renderForwarding();
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
