// The owner's call log: filters, CSV export, and each call opened with everything known about it.
import { api, $, show, showProblem, clearProblem } from '/shared/api.js';
import { t, language } from '/shared/i18n.js';

let business = null;

const dateTime = iso => new Date(iso).toLocaleString(language, { dateStyle: 'short', timeStyle: 'short' });
const seconds = value => value == null ? '—' : t('owner.seconds', { seconds: value });
const outcomeText = call => call.outcome ? t(`outcome.${call.outcome}`) : t('owner.callInProgress');

// The filters as the API takes them; dates are whole days of the owner's own clock.
function query() {
  const params = new URLSearchParams();
  if ($('#filter-from').value) params.set('from', new Date(`${$('#filter-from').value}T00:00`).toISOString());
  if ($('#filter-to').value) params.set('to', new Date(new Date(`${$('#filter-to').value}T00:00`).getTime() + 86400_000).toISOString());
  if ($('#filter-outcome').value) params.set('outcome', $('#filter-outcome').value);
  if ($('#filter-caller').value.trim()) params.set('caller', $('#filter-caller').value.trim());
  return params;
}

// "Show more" walks the log by the cursor each page ends with: the hundredth page comes as fast as the first.
const more = Object.assign(document.createElement('button'), { type: 'button', id: 'more-calls', hidden: true, textContent: t('calls.more') });
more.dataset.i18n = 'calls.more'; // a change of language rewords it with the page
$('#calls-empty').after(more);
let listed = null; // the filters of the calls on screen, for the pages that follow
let next = null;

function callRow(call) {
  const row = document.createElement('tr');
  row.dataset.callId = call.id;
  const open = Object.assign(document.createElement('button'), { type: 'button', className: 'link', textContent: dateTime(call.receivedAt) });
  open.addEventListener('click', () => openCall(call.id));
  row.insertCell().append(open);
  for (const text of [call.callerNumber, outcomeText(call), seconds(call.waitedSeconds)]) row.insertCell().textContent = text;
  return row;
}

async function listCalls(params, append) {
  const page = await api('GET', `/api/businesses/${business.id}/calls?${params}`);
  const rows = page.items.map(callRow);
  if (append) $('#call-rows').append(...rows); else $('#call-rows').replaceChildren(...rows);
  next = page.next;
  show(more, !!next);
  return page;
}

export async function renderCalls(current) {
  business = current;
  clearProblem($('#call-filters'), $('#calls-error'));
  listed = query();
  $('#export-calls').href = `/api/businesses/${business.id}/calls.csv?${listed}`;
  listed.set('pageSize', '50');
  try {
    const page = await listCalls(listed, false);
    show($('#calls-empty'), page.items.length === 0);
  } catch (error) { showProblem($('#call-filters'), $('#calls-error'), error); }
}

/** The log filtered from elsewhere on the page (the headline panel's missed calls), brought into view. */
export async function filterCalls({ from, to, outcome }) {
  $('#filter-from').value = from;
  $('#filter-to').value = to;
  $('#filter-outcome').value = outcome;
  $('#filter-caller').value = '';
  await renderCalls(business);
  $('#calls').scrollIntoView({ block: 'start' });
}

more.addEventListener('click', async () => {
  const params = new URLSearchParams(listed);
  params.set('before', next);
  try { await listCalls(params, true); } catch (error) { showProblem($('#call-filters'), $('#calls-error'), error); }
});

$('#call-filters').addEventListener('submit', event => { event.preventDefault(); renderCalls(business); });
$('#close-call').addEventListener('click', () => show($('#call-detail'), false));

function rows(tbody, pairs) {
  tbody.replaceChildren(...pairs.map(([label, value]) => {
    const row = document.createElement('tr');
    row.insertCell().textContent = label;
    row.insertCell().textContent = value;
    return row;
  }));
}

export async function openCall(callId) {
  const call = await api('GET', `/api/businesses/${business.id}/calls/${callId}`);
  const detail = $('#call-detail');
  detail.dataset.callId = call.id;
  $('#call-detail-title').textContent = t('calls.detailTitle', { caller: call.callerNumber, when: dateTime(call.receivedAt) });
  // Why and billed-or-why-not are codes the dictionaries word: a new reason needs only a new entry.
  rows($('#call-facts'), [
    [t('owner.callWhen'), dateTime(call.receivedAt)],
    [t('owner.callCaller'), call.callerNumber],
    [t('owner.callWait'), seconds(call.waitedSeconds)],
    [t('owner.callOutcome'), call.outcome ? `${outcomeText(call)}. ${t(`calls.why.${call.outcome}`, { seconds: call.waitedSeconds ?? 0 })}` : outcomeText(call)],
    [t('calls.billing'), t(`call.billing.${call.billingReason}`)],
    ...(call.operatorFirstName ? [[t('calls.operator'), call.operatorFirstName]] : []),
  ]);
  const summary = call.summary;
  show($('#call-no-summary'), !summary);
  rows($('#call-summary'), summary ? [
    [t('calls.summaryOutcome'), summary.outcomeLabel],
    ...Object.entries(summary.fields).map(([name, value]) => [call.fieldLabels?.[name] ?? name, value]),
    ...(summary.note ? [[t('calls.note'), summary.note]] : []),
  ] : []);
  const recording = $('#call-recording');
  show(recording, !!call.recordingUrl);
  if (call.recordingUrl) recording.src = call.recordingUrl;
  $('#call-earlier').replaceChildren(...call.earlierCalls.map(earlier => {
    const item = document.createElement('li');
    const open = Object.assign(document.createElement('button'), { type: 'button', className: 'link', textContent: dateTime(earlier.receivedAt) });
    open.addEventListener('click', () => openCall(earlier.id));
    item.append(open, ` — ${earlier.summaryOutcomeLabel ?? outcomeText(earlier)}`);
    return item;
  }));
  show($('#call-no-earlier'), call.earlierCalls.length === 0);
  show(detail, true);
  detail.scrollIntoView({ block: 'nearest' });
}
