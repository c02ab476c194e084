import { api, ApiError, bindSignIn, signOut, $, show, showError } from '/shared/api.js';
import { t } from '/shared/i18n.js';
import { connectSoftphone, disconnectSoftphone, answerRinging, rejectRinging } from '/console/softphone.js';
const callOutcomes = { answered: 'Отвечен', abandoned: 'Не дождался', overflowed: 'Переведён на автоответчик', notLive: 'Не подключён', failed: 'Сбой связи' };

let events = null;
let queue = new Map();   // callId → waiting call, with seenAt: when (by this page's clock) its wait was as given
let replay = null;       // events that arrive while the queue is being fetched, applied again over the answer
let fetches = 0;
let call = null;         // the call being handled
let offer = null;        // the call ringing in this console: { callId, until } (until by this page's clock)
let stateSince = performance.now();  // when the operator's present state began, by this page's clock
let offerSeconds = 15;
let takingByHand = false;

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
  offerSeconds = presence.offerSeconds;
  renderPresence(presence.state, presence.reason, presence.updatedAt);
  listen();
  connectSoftphone(renderSoftphone, () => takingByHand || call !== null);
  if (presence.state === 'offered') return showOffer();
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
  // The operator's own state, from whichever instance or console changed it: an offer rings, wrap-up ends, away.
  events.addEventListener('presence', event => {
    const change = JSON.parse(event.data);
    renderPresence(change.state, change.reason);
    if (change.state === 'offered') showOffer();
    else hideOffer();
    if (call && change.state === 'wrapUp' && !$('#transfer-state').hidden)
      $('#transfer-state').textContent = t('routing.transfer.connected');
    if (change.state === 'busy' && !call) api('GET', '/api/console/calls/current').then(current => current && renderCall(current));
  });
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

// The state and how long the operator has been in it; the timer counts on this page's clock from the moment it heard.
function renderPresence(state, reason, since) {
  if ($('#presence').dataset.state !== state || since)
    stateSince = performance.now() - (since ? Math.max(0, Date.now() - Date.parse(since)) : 0);
  $('#presence').textContent = t(`state.${state}`);
  $('#presence').dataset.state = state;
  $('#presence-timer').dataset.state = state;
  $('#presence-reason').textContent = reason ? t(`routing.reason.${reason}`) : '';
  show($('#presence-reason'), !!reason);
  renderTimers();
}

function renderTimers() {
  $('#presence-timer').textContent = duration(Math.floor((performance.now() - stateSince) / 1000));
  if (offer) $('#offer-countdown').textContent =
    t('routing.offer.countdown', { seconds: Math.max(0, Math.ceil((offer.until - performance.now()) / 1000)) });
}

// An offer: the business to answer for, the caller, the greeting to say, a countdown and a ring until answered.
async function showOffer() {
  const offered = await api('GET', '/api/console/calls/current');
  if (!offered || call) return;
  if (offer?.callId !== offered.callId) offer = { callId: offered.callId, until: performance.now() + offerSeconds * 1000 };
  $('#offer-business').textContent = offered.businessName;
  $('#offer-caller').textContent = offered.callerNumber;
  $('#offer-greeting').textContent = offered.scenario?.greeting ?? '';
  show($('#offer-error'), false);
  show($('#offer'), true);
  renderTimers();
  ring(true);
  $('#answer-offer').focus();
}

function hideOffer() {
  offer = null;
  ring(false);
  show($('#offer'), false);
}

async function answerOffer() {
  if (!offer) return;
  if (!answerRinging()) return showError($('#offer-error'), new Error(t('routing.offer.noSoftphone')));
  ring(false);
}

async function declineOffer() {
  if (!offer) return;
  const { callId } = offer;
  rejectRinging();
  try {
    await api('POST', `/api/console/calls/${callId}/decline`);
    hideOffer();
  } catch (error) {
    if (error.status === 404 || error.status === 409) { hideOffer(); return; }
    showError($('#offer-error'), error);
  }
}

// A ring tone made in the page (no audio file): two tones, one second on, two off, while an offer rings.
let audio = null, ringTimer = null;
function ring(on) {
  clearInterval(ringTimer);
  ringTimer = null;
  if (!on) return;
  audio ??= new AudioContext();
  const burst = () => {
    for (const frequency of [440, 480]) {
      const oscillator = audio.createOscillator(), gain = audio.createGain();
      gain.gain.value = 0.05;
      oscillator.frequency.value = frequency;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 1);
    }
  };
  burst();
  ringTimer = setInterval(burst, 3000);
}

// Hands the caller to the owner: warm (they hold while the owner hears who is calling and presses 1) or cold.
async function transfer(mode) {
  if (!call) return;
  show($('#transfer-error'), false);
  try {
    await api('POST', `/api/console/calls/${call.callId}/transfer`, { mode });
    $('#transfer-state').textContent = t(`routing.transfer.${mode === 'warm' ? 'ringing' : 'sent'}`);
    show($('#transfer-state'), true);
  } catch (error) { showError($('#transfer-error'), error); }
}

async function setPresence(state, reason) {
  try {
    const presence = await api('PUT', '/api/console/presence', reason ? { state, reason } : { state });
    renderPresence(presence.state, presence.reason);
    show($('#queue-error'), false);
  } catch (error) { showError($('#queue-error'), error); }
}

async function takeCall() {
  if (call) return;
  takingByHand = true;
  try {
    const claimed = await api('POST', '/api/console/calls/next');
    if (!claimed) return showError($('#queue-error'), new Error('Сейчас никто не ждёт.'));
    show($('#queue-error'), false);
    renderPresence('busy');
    renderCall(claimed);
  } catch (error) {
    showError($('#queue-error'), error.status === 409 ? new Error('Сначала отметьте себя как «Доступен».') : error);
  } finally {
    // The bridged call rings within moments of the claim; later rings are offers.
    setTimeout(() => { takingByHand = false; }, 10_000);
  }
}

function renderCall(claimed) {
  hideOffer();
  call = claimed;
  show($('#transfer-state'), false);
  show($('#transfer-error'), false);
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
$('#go-away').addEventListener('click', () => setPresence('away', 'break'));
$('#answer-offer').addEventListener('click', answerOffer);
$('#transfer-warm').addEventListener('click', () => transfer('warm'));
$('#transfer-cold').addEventListener('click', () => transfer('cold'));
$('#decline-offer').addEventListener('click', declineOffer);
$('#take-call').addEventListener('click', takeCall);
$('#summary-form').addEventListener('submit', event => { event.preventDefault(); submitSummary(); });

// Keyboard (any layout: the key, not the letter): N takes the next call, A answers and D declines an offer, T transfers
// the call to the owner (warm),
// Ctrl+Enter sends the summary.
document.addEventListener('keydown', event => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && call) {
    event.preventDefault();
    $('#summary-form').requestSubmit();
    return;
  }
  const typing = event.target.closest?.('input, textarea, select');
  const plain = !typing && !event.ctrlKey && !event.altKey && !event.metaKey;
  if (call && plain && event.code === 'KeyT') {
    event.preventDefault();
    transfer('warm');
    return;
  }
  if (offer && plain && (event.code === 'KeyA' || event.code === 'KeyD')) {
    event.preventDefault();
    if (event.code === 'KeyA') answerOffer();
    else declineOffer();
    return;
  }
  if (event.code === 'KeyN' && !typing && !event.ctrlKey && !event.altKey && !event.metaKey && !$('#queue-panel').hidden) {
    event.preventDefault();
    takeCall();
  }
});

setInterval(() => { renderQueue(); renderTimers(); }, 1000);
start();
