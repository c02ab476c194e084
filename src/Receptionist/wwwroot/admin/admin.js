import { api, ApiError, bindSignIn, signOut, $, show, showError, showProblem, clearProblem } from '/shared/api.js';
import { t, translate, setLanguage, language, formatNumber, formatPercent, formatDuration } from '/shared/i18n.js';

let events = null;
let board = null;        // the wallboard as last fetched
let fetchedAt = 0;       // when, by this page's clock: timers run on from there without asking the server
let loading = null;      // the fetch in flight, so a burst of events makes one more fetch, not one each
let again = false;
let report = null;       // the last report, re-rendered when the language changes

async function start() {
  try {
    await loadWallboard();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showAuth();
    if (error instanceof ApiError && error.status === 403) {
      showAuth();
      return showError($('#auth-error'), new Error(t('admin.adminsOnly')));
    }
    throw error;
  }
  show($('#auth'), false);
  show($('#tabs'), true);
  show($('#sign-out'), true);
  openTab(location.hash.slice(1) || 'wallboard');
  listen();
}

function showAuth() {
  events?.close();
  events = null;
  for (const id of ['#tabs', '#sign-out', '#wallboard', '#reports', '#pool']) show($(id), false);
  show($('#auth'), true);
  $('#auth-email').focus();
}

function openTab(name) {
  if (!['wallboard', 'reports', 'pool'].includes(name)) name = 'wallboard';
  for (const button of document.querySelectorAll('#tabs button')) {
    if (button.dataset.tab === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  for (const id of ['wallboard', 'reports', 'pool']) show($(`#${id}`), id === name);
  history.replaceState(null, '', `#${name}`);
  if (name === 'reports' && !report) loadReport();
  if (name === 'pool') loadPool();
}

// The console's stream: every queue change on any instance means "fetch the wallboard again"; so does the
// heartbeat, which also brings operator states (they change without the queue changing) at most 15 s late.
function listen() {
  events?.close();
  events = new EventSource('/api/admin/events');
  for (const type of ['ready', 'queue', 'resync', 'heartbeat']) events.addEventListener(type, refresh);
}

async function refresh() {
  if (loading) { again = true; return; }
  try {
    loading = loadWallboard();
    await loading;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showAuth();
  } finally {
    loading = null;
    if (again) { again = false; refresh(); }
  }
}

async function loadWallboard() {
  board = await api('GET', '/api/admin/wallboard');
  fetchedAt = Date.now();
  renderWallboard();
}

function renderWallboard() {
  if (!board) return;
  const today = board.today;
  $('#waiting').textContent = formatNumber(board.waiting);
  $('#today-offered').textContent = formatNumber(today.offered);
  $('#today-answered').textContent = formatNumber(today.answered);
  $('#today-sl').textContent = formatPercent(today.serviceLevel);
  $('#today-asa').textContent = formatDuration(today.averageSpeedOfAnswerSeconds);
  $('#today-abandonment').textContent = formatPercent(today.abandonmentRate);
  const alert = $('#sl-alert');
  alert.textContent = board.serviceLevelAlert
    ? t('wallboard.alert', { minutes: board.alertWindowMinutes, sl: formatPercent(board.recent.serviceLevel), target: formatPercent(board.serviceLevelTarget) })
    : '';
  show(alert, board.serviceLevelAlert);

  const rows = board.operators.map(o => {
    const row = document.createElement('tr');
    row.dataset.state = o.state;
    row.dataset.seconds = o.seconds;
    for (const text of [o.name ?? '', t(`state.${o.state}`), '']) row.insertCell().textContent = text;
    row.cells[2].className = 'num timer';
    return row;
  });
  $('#operators').replaceChildren(...rows);
  show($('#no-operators'), rows.length === 0);
  renderHoursChart(board.todayByHour);
  $('#updated').textContent = t('wallboard.updated', { time: new Date(board.now).toLocaleTimeString(language) });
  tick();
}

// Timers count on between fetches from the server's figures plus the time since they came.
function tick() {
  if (!board) return;
  const elapsed = (Date.now() - fetchedAt) / 1000;
  $('#longest-wait').textContent = board.longestWaitSeconds === null ? '—' : formatDuration(board.longestWaitSeconds + elapsed);
  for (const row of document.querySelectorAll('#operators tr'))
    row.cells[2].textContent = formatDuration(Number(row.dataset.seconds) + elapsed);
}

// Plain SVG bars: offered calls in each hour of the day (0–23).
function renderHoursChart(hours) {
  const svg = $('#hours-chart');
  const counts = Array.from({ length: 24 }, (_, hour) => hours.find(h => h.hour === hour)?.figures.offered ?? 0);
  const max = Math.max(1, ...counts);
  const ns = 'http://www.w3.org/2000/svg';
  const title = svg.querySelector('title');
  title.textContent = t('wallboard.perHour');
  const parts = [title];
  counts.forEach((count, hour) => {
    const height = Math.round((count / max) * 120);
    const bar = document.createElementNS(ns, 'rect');
    Object.entries({ x: hour * 20 + 2, y: 130 - height, width: 16, height, class: 'bar' }).forEach(([k, v]) => bar.setAttribute(k, v));
    const tip = document.createElementNS(ns, 'title');
    tip.textContent = `${hour}:00 — ${count}`;
    bar.append(tip);
    parts.push(bar);
    if (hour % 3 === 0) {
      const label = document.createElementNS(ns, 'text');
      Object.entries({ x: hour * 20 + 2, y: 150, class: 'axis' }).forEach(([k, v]) => label.setAttribute(k, v));
      label.textContent = hour;
      parts.push(label);
    }
  });
  svg.replaceChildren(...parts);
}

// Reports: the period as dates in the admin's time zone (the server's Metrics:TimeZone reads bare dates there).
function periodQuery() {
  const choice = $('#period').value;
  if (choice === 'today') return '';
  if (choice === 'custom') return `from=${encodeURIComponent($('#from').value)}&to=${encodeURIComponent($('#to').value)}`;
  const to = new Date();
  const from = new Date(to.getTime() - (Number(choice) - 1) * 86400_000);
  const date = d => d.toLocaleDateString('sv-SE'); // yyyy-mm-dd
  return `from=${date(from)}&to=${date(to)}`;
}

let reportsAsked = 0;

async function loadReport() {
  const query = periodQuery();
  const asked = ++reportsAsked;
  $('#export-csv').href = `/api/admin/metrics.csv?${query}`;
  try {
    const answer = await api('GET', `/api/admin/metrics?${query}`);
    // A report asked for earlier (the tab's first, another period) may answer last: only the latest is shown.
    if (asked !== reportsAsked) return;
    report = answer;
    show($('#report-error'), false);
    renderReport();
  } catch (error) {
    if (asked === reportsAsked) showError($('#report-error'), error);
  }
}

const totalKeys = ['offered', 'answered', 'abandoned', 'shortAbandoned', 'overflowed', 'notLive', 'missed', 'notBilled',
  'serviceLevel', 'answeredWithinBillingSla', 'averageSpeedOfAnswerSeconds', 'waitP50Seconds', 'waitP90Seconds',
  'abandonmentRate', 'overflowRate', 'handled', 'averageHandleTimeSeconds', 'averageTalkSeconds', 'averageHoldSeconds',
  'averageWrapUpSeconds', 'repeatCallRate'];
const figureKeys = ['offered', 'answered', 'abandoned', 'shortAbandoned', 'overflowed', 'serviceLevel',
  'averageSpeedOfAnswerSeconds', 'abandonmentRate', 'averageHandleTimeSeconds'];

function format(key, value) {
  if (/Rate$|^serviceLevel$|Sla$|^occupancy$/.test(key)) return formatPercent(value);
  if (/Seconds$/.test(key)) return formatDuration(value);
  return formatNumber(value);
}

function table(selector, headers, rows) {
  const head = $(`${selector} thead`);
  if (head) {
    const tr = document.createElement('tr');
    headers.forEach(([text, numeric]) => { const th = document.createElement('th'); th.textContent = text; if (numeric) th.className = 'num'; tr.append(th); });
    head.replaceChildren(tr);
  }
  $(`${selector} tbody`).replaceChildren(...rows.map(cells => {
    const tr = document.createElement('tr');
    cells.forEach(([text, numeric]) => { const td = tr.insertCell(); td.textContent = text; if (numeric) td.className = 'num'; });
    return tr;
  }));
}

function renderReport() {
  if (!report) return;
  show($('#report'), true);
  table('#report-totals', [], totalKeys.map(key => [[t(`metric.${key}`)], [format(key, report[key]), true]]));
  const figureHeaders = figureKeys.map(key => [t(`metric.${key}`), true]);
  table('#report-hours', [[t('reports.hour')], ...figureHeaders],
    report.byHour.map(h => [[`${h.hour}:00`], ...figureKeys.map(key => [format(key, h.figures[key]), true])]));
  const offerKeys = ['offers', 'offersAnswered', 'offersMissed', 'offersDeclined', 'offersWithdrawn'];
  table('#report-operators', [[t('wallboard.operator')], [t('metric.answered'), true], [t('metric.handled'), true],
    [t('metric.averageHandleTimeSeconds'), true], [t('metric.averageTalkSeconds'), true], [t('metric.averageHoldSeconds'), true],
    [t('metric.averageWrapUpSeconds'), true], [t('reports.available'), true], [t('reports.talk'), true], [t('reports.wrapUp'), true],
    [t('reports.occupancy'), true], ...offerKeys.map(key => [t(`reports.${key}`), true]), [t('reports.offerAnswerRate'), true]],
    report.byOperator.map(o => [[o.name ?? ''], [formatNumber(o.answered), true], [formatNumber(o.handled), true],
      [formatDuration(o.averageHandleTimeSeconds), true], [formatDuration(o.averageTalkSeconds), true],
      [formatDuration(o.averageHoldSeconds), true], [formatDuration(o.averageWrapUpSeconds), true],
      [formatDuration(o.availableSeconds), true], [formatDuration(o.talkSeconds), true], [formatDuration(o.wrapUpSeconds), true],
      [formatPercent(o.occupancy), true], ...offerKeys.map(key => [formatNumber(o[key]), true]),
      [formatPercent(o.offerAnswerRate), true]]));
  table('#report-businesses', [[t('reports.business')], ...figureHeaders],
    report.byBusiness.map(b => [[b.name], ...figureKeys.map(key => [format(key, b.figures[key]), true])]));
}

function button(text, onClick, className = 'secondary') {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = className;
  element.textContent = text;
  element.addEventListener('click', onClick);
  return element;
}

// A staff member's actions: disable or enable the account, and a new password typed into the row itself.
function staffActions(member) {
  const actions = document.createElement('div');
  actions.className = 'row';
  const act = async (path, body) => {
    try { await api('POST', `/api/admin/staff/${member.id}/${path}`, body); await loadPool(); }
    catch (error) { showError($('#staff-error'), error); }
  };
  actions.append(
    member.disabled ? button(t('pool.enable'), () => act('enable')) : button(t('pool.disable'), () => act('disable')),
    button(t('pool.setPassword'), () => {
      const form = document.createElement('form');
      form.className = 'row';
      const input = document.createElement('input');
      Object.assign(input, { type: 'password', required: true, minLength: 8, maxLength: 128, autocomplete: 'new-password' });
      input.setAttribute('aria-label', t('pool.newPassword'));
      const save = document.createElement('button');
      save.type = 'submit';
      save.textContent = t('pool.save');
      form.append(input, save);
      form.addEventListener('submit', event => { event.preventDefault(); act('password', { password: input.value }); });
      actions.replaceChildren(form);
      input.focus();
    }));
  return actions;
}

async function loadPool() {
  try {
    const [staff, lines, dead] = await Promise.all([
      api('GET', '/api/admin/staff'), api('GET', '/api/admin/lines'), api('GET', '/api/admin/outbox?state=dead')]);
    const rows = (selector, items, cells) => $(selector).replaceChildren(...items.map(item => {
      const tr = document.createElement('tr');
      for (const cell of cells(item)) { const td = tr.insertCell(); if (cell instanceof Node) td.append(cell); else td.textContent = cell; }
      return tr;
    }));
    rows('#staff', staff, s => [s.displayName ?? '', s.email, t(`pool.role.${s.role}`), (s.languages ?? []).join(', '),
      formatNumber(s.trainedBusinessIds?.length ?? 0), t(s.disabled ? 'pool.disabled' : 'pool.active'), staffActions(s)]);
    rows('#lines', lines.filter(l => !l.retiredAt), l => [l.number, l.businessId ?? '—',
      l.businessId ? '' : button(t('pool.retire'), async () => {
        try { await api('DELETE', `/api/admin/lines/${l.id}`); await loadPool(); }
        catch (error) { showError($('#line-error'), error); }
      })]);
    rows('#dead-letters', dead, m => [m.kind, m.lastError ?? '',
      button(t('pool.retry'), async () => { await api('POST', `/api/admin/outbox/${m.id}/retry`); loadPool(); })]);
    show($('#pool-error'), false);
  } catch (error) {
    showError($('#pool-error'), error);
  }
}

$('#staff-form').addEventListener('submit', async event => {
  event.preventDefault();
  try {
    await api('POST', '/api/admin/staff', {
      displayName: $('#staff-name').value, email: $('#staff-email').value,
      password: $('#staff-password').value, role: $('#staff-role').value,
    });
    event.target.reset();
    clearProblem(event.target, $('#staff-error'));
    await loadPool();
  } catch (error) { showProblem(event.target, $('#staff-error'), error); }
});
$('#line-form').addEventListener('submit', async event => {
  event.preventDefault();
  try {
    await api('POST', '/api/admin/lines', { number: $('#line-number').value });
    event.target.reset();
    clearProblem(event.target, $('#line-error'));
    await loadPool();
  } catch (error) { showProblem(event.target, $('#line-error'), error); }
});

bindSignIn(start, t('common.badCredentials'));
$('#sign-out').addEventListener('click', async () => { await signOut(); board = null; report = null; showAuth(); });
for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', () => openTab(button.dataset.tab));
$('#period').addEventListener('change', () => { show($('#custom-period'), $('#period').value === 'custom'); if ($('#period').value !== 'custom') loadReport(); });
$('#period-form').addEventListener('submit', event => { event.preventDefault(); loadReport(); });
$('#language').value = language;
$('#language').addEventListener('change', () => { setLanguage($('#language').value); renderWallboard(); renderReport(); });

translate();
setInterval(tick, 1000);
start();
