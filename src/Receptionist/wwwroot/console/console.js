import { api, ApiError, bindSignIn, signOut, $, show, showError } from '/shared/api.js';
import { connectSoftphone, disconnectSoftphone } from '/console/softphone.js';

const presenceLabels = { available: 'Доступен', offline: 'Не в сети', busy: 'На звонке', wrapUp: 'Итоги звонка' };
const callOutcomes = { answered: 'Отвечен', abandoned: 'Не дождался', overflowed: 'Переведён на автоответчик', notLive: 'Не подключён', failed: 'Сбой связи' };

let events = null;
let queue = new Map();   // callId → waiting call, with seenAt: when (by this page's clock) its wait was as given
let replay = null;       // events that arrive while the queue is being fetched, applied again over the answer
let fetches = 0;
let call = null;         // the call being handled

async function start() {
  let presence;
  try {
    presence = await api('GET', '/api/console/presence');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showAuth();
    if (error instanceof ApiError && error.status === 403) {
      showAuth();
      return showError($('#auth-error'), new Error('Этот вход — только для операторов.'));
    }
    throw error;
  }
  show($('#auth'), false);
  show($('#presence-bar'), true);
  show($('#queue-panel'), true);
  renderPresence(presence.state);
  listen();
  connectSoftphone(renderSoftphone);
  // After a reload, the call in progress (or owing its summary) comes back as it was.
  const current = await api('GET', '/api/console/calls/current');
  if (current) renderCall(current);
  else $('#take-call').focus();
}

const softphoneLabels = { off: 'Телефон не подключён', ready: 'Телефон готов', talking: 'Разговор', error: 'Ошибка телефона' };

function renderSoftphone(state) {
  $('#softphone').textContent = softphoneLabels[state];
  $('#softphone').dataset.state = state;
}

function showAuth() {
  events?.close();
  events = null;
  disconnectSoftphone();
  for (const id of ['#presence-bar', '#queue-panel', '#call', '#done']) show($(id), false);
  show($('#auth'), true);
  $('#auth-email').focus();
}

// The server pushes an event for each change of the shared queue on any instance, carrying the call as the list
// shows it: the page updates itself from the events and fetches the whole queue only when told to (ready, resync).
function listen() {
  events?.close();
  events = new EventSource('/api/console/events');
  for (const type of ['ready', 'resync']) events.addEventListener(type, loadQueue);
  events.addEventListener('queue', event => {
    const change = JSON.parse(event.data);
    replay?.push(change);
    apply(change, performance.now());
    renderQueue();
  });
}

function apply(change, seenAt) {
  if (change.status === 'waiting' && change.businessName) queue.set(change.callId, { ...change, seenAt });
  else queue.delete(change.callId);
}

async function loadQueue() {
  const generation = ++fetches;
  const arrived = replay = [];
  try {
    const waiting = await api('GET', '/api/console/queue');
    if (generation !== fetches) return;
    const now = performance.now();
    queue = new Map(waiting.map(w => [w.callId, { ...w, seenAt: now }]));
    // A change the answer already holds comes out the same: each call's events arrive in order.
    for (const change of arrived) apply(change, now);
    show($('#queue-error'), false);
    renderQueue();
  } catch (error) { showError($('#queue-error'), error); }
  finally { if (generation === fetches) replay = null; }
}

const oldestFirst = (a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || (a.callId < b.callId ? -1 : 1);

function renderQueue() {
  const now = performance.now();
  const waiting = [...queue.values()].sort(oldestFirst);
  const rows = waiting.slice(0, 200).map(w => {
    const elapsed = Math.floor((now - w.seenAt) / 1000);
    const row = document.createElement('tr');
    const sla = Math.max(0, w.slaSecondsLeft - elapsed);
    row.dataset.callId = w.callId;
    row.classList.toggle('late', sla === 0);
    for (const text of [w.businessName, duration(w.waitingSeconds + elapsed), sla === 0 ? 'истёк' : duration(sla)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $('#queue').replaceChildren(...rows);
  $('#queue-count').textContent = String(waiting.length);
  show($('#queue-empty'), waiting.length === 0);
}

const duration = seconds => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

function renderPresence(state) {
  $('#presence').textContent = presenceLabels[state] ?? state;
  $('#presence').classList.toggle('live', state === 'available');
  $('#presence').dataset.state = state;
}

async function setPresence(state) {
  try {
    renderPresence((await api('PUT', '/api/console/presence', { state })).state);
    show($('#queue-error'), false);
  } catch (error) { showError($('#queue-error'), error); }
}

async function takeCall() {
  if (call) return;
  try {
    const claimed = await api('POST', '/api/console/calls/next');
    if (!claimed) return showError($('#queue-error'), new Error('Сейчас никто не ждёт.'));
    show($('#queue-error'), false);
    renderPresence('busy');
    renderCall(claimed);
  } catch (error) {
    showError($('#queue-error'), error.status === 409 ? new Error('Сначала отметьте себя как «Доступен».') : error);
  }
}

function renderCall(claimed) {
  call = claimed;
  show($('#done'), false);
  show($('#summary-error'), false);
  $('#call-business').textContent = claimed.businessName;
  $('#call-caller').textContent = claimed.callerNumber;
  $('#greeting').textContent = claimed.scenario?.greeting ?? '';
  $('#script').textContent = claimed.scenario?.script ?? '';
  $('#scenario-error').textContent = claimed.scenarioError ?? '';
  show($('#scenario-error'), !!claimed.scenarioError);

  $('#earlier-calls').replaceChildren(...claimed.earlierCalls.map(e => {
    const item = document.createElement('li');
    const when = new Date(e.at).toLocaleString('ru-RU', { dateStyle: 'short', timeStyle: 'short' });
    item.textContent = `${when} — ${e.summary ?? callOutcomes[e.outcome] ?? 'идёт сейчас'}`;
    return item;
  }));
  show($('#no-earlier-calls'), claimed.earlierCalls.length === 0);

  $('#summary-fields').replaceChildren(...(claimed.scenario?.fields ?? []).map(fieldInput));
  $('#outcome').replaceChildren(new Option('— выберите —', ''),
    ...(claimed.scenario?.outcomes ?? []).map(o => new Option(o.label, o.key)));
  $('#note').value = '';
  show($('#call'), true);
  $('#summary-fields input, #summary-fields textarea, #summary-fields select, #outcome')?.focus();
}

function fieldInput(field) {
  const wrapper = document.createElement('div');
  const label = document.createElement('label');
  const id = `field-${field.name}`;
  label.htmlFor = id;
  label.textContent = field.label;
  if (field.required) {
    const mark = document.createElement('span');
    mark.className = 'required';
    mark.textContent = ' *';
    label.append(mark);
  }
  let input;
  if (field.type === 'choice') {
    input = document.createElement('select');
    input.append(new Option('—', ''), ...field.choices.map(c => new Option(c, c)));
  } else if (field.type === 'longtext') {
    input = document.createElement('textarea');
    input.rows = 3;
  } else {
    input = document.createElement('input');
    input.type = { phone: 'tel', email: 'email', number: 'text', datetime: 'datetime-local' }[field.type] ?? 'text';
    if (field.type === 'number') input.inputMode = 'decimal';
  }
  input.id = id;
  input.name = field.name;
  input.required = field.required;
  input.setAttribute('aria-required', String(field.required));
  wrapper.append(label, input);
  return wrapper;
}

async function submitSummary() {
  const fields = {};
  for (const input of document.querySelectorAll('#summary-fields [name]')) {
    if (input.value.trim()) fields[input.name] = input.value;
  }
  for (const element of document.querySelectorAll('#call [aria-invalid]')) element.removeAttribute('aria-invalid');
  try {
    const saved = await api('POST', `/api/console/calls/${call.callId}/summary`,
      { outcome: $('#outcome').value, fields, note: $('#note').value || null });
    call = null;
    show($('#call'), false);
    show($('#summary-error'), false);
    $('#done-text').textContent = saved.presence === 'available'
      ? 'Итоги отправлены владельцу. Вы снова доступны.'
      : 'Итоги отправлены владельцу. Вы станете доступны, когда звонок завершится.';
    show($('#done'), true);
    renderPresence(saved.presence);
    $('#take-call').focus();
  } catch (error) {
    for (const key of Object.keys(error.problem?.errors ?? {})) {
      const target = key === 'outcome' ? $('#outcome') : document.getElementById(`field-${key.replace(/^fields\./, '')}`);
      target?.setAttribute('aria-invalid', 'true');
    }
    showError($('#summary-error'), error);
  }
}

bindSignIn(start, 'Неверный email или пароль.');

$('#sign-out').addEventListener('click', async () => { await signOut(); call = null; showAuth(); });
$('#go-available').addEventListener('click', () => setPresence('available'));
$('#go-offline').addEventListener('click', () => setPresence('offline'));
$('#take-call').addEventListener('click', takeCall);
$('#summary-form').addEventListener('submit', event => { event.preventDefault(); submitSummary(); });

// Keyboard: N takes the next call (any layout: the key, not the letter), Ctrl+Enter sends the summary.
document.addEventListener('keydown', event => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && call) {
    event.preventDefault();
    $('#summary-form').requestSubmit();
    return;
  }
  const typing = event.target.closest?.('input, textarea, select');
  if (event.code === 'KeyN' && !typing && !event.ctrlKey && !event.altKey && !event.metaKey && !$('#queue-panel').hidden) {
    event.preventDefault();
    takeCall();
  }
});

setInterval(renderQueue, 1000);
start();
