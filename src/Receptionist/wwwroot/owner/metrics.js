// The owner's headline panel: the figures that matter at a glance for today, 7 or 30 days, each beside the previous
// period of the same length (an arrow and the change). Read from GET /api/businesses/{id}/metrics, the computation the
// admin report uses; only the layout is the owner's.
import { api, $, show } from '/shared/api.js';
import { t, translate, formatNumber, formatPercent, formatDuration } from '/shared/i18n.js';
import { filterCalls } from '/owner/calls.js';

const day = 86400_000;
// Which way is better for the owner: more answered is good, more missed is bad; repeat callers are neither.
const figures = [
  ['calls', r => r.offered + r.notLive, 'count', 0],
  ['answered', r => r.answered, 'count', 1],
  ['missed', r => r.missed, 'count', -1],
  ['notBilled', r => r.notBilled, 'count', 0],
  ['serviceLevel', r => r.serviceLevel, 'ratio', 1],
  ['averageSpeedOfAnswerSeconds', r => r.averageSpeedOfAnswerSeconds, 'duration', -1],
  ['repeatCalls', r => r.repeatCalls, 'count', 0],
];
const format = { count: formatNumber, ratio: formatPercent, duration: formatDuration };

let business = null;
let days = 30;
let latest = 0;

/** A calendar date in the business's own zone, <paramref name="back"/> days before today. */
function localDate(back) {
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: business.timeZone });
  return new Date(Date.parse(`${today}T00:00:00Z`) - back * day).toISOString().slice(0, 10);
}

export async function renderMetrics(chosen) {
  business = chosen;
  show($('#service'), true);
  translate($('#service'));
  for (const button of document.querySelectorAll('#headline-period button'))
    button.setAttribute('aria-pressed', String(Number(button.dataset.days) === days));
  // This period: the last `days` calendar days up to now; the previous one: the same stretch, `days` days earlier.
  const end = Date.now();
  const period = (back, until) => `/api/businesses/${business.id}/metrics?from=${localDate(back)}&to=${encodeURIComponent(new Date(until).toISOString())}`;
  const asked = ++latest;
  const [current, previous] = await Promise.all([
    api('GET', period(days - 1, end)), api('GET', period(2 * days - 1, end - days * day)),
  ]);
  // A period chosen while the page's first figures were still loading: the older answer must not overwrite it.
  if (asked !== latest) return;
  $('#headline-compared').textContent = t(`headline.compared${days}`);
  $('#service-figures').replaceChildren(...figures.map(([key, read, kind, better]) => {
    const row = document.createElement('tr');
    row.dataset.metric = key;
    row.insertCell().textContent = t(`headline.${key}`, { seconds: current.thresholds.serviceLevelSeconds, sla: current.thresholds.billingSlaSeconds });
    const cell = row.insertCell();
    const value = read(current), before = read(previous);
    if (key === 'missed' && value > 0) {
      // The missed calls themselves, in the log below: the same dates, every outcome but answered.
      const link = Object.assign(document.createElement('button'), { type: 'button', className: 'link', textContent: format[kind](value) });
      link.addEventListener('click', () => filterCalls({ from: localDate(days - 1), to: localDate(0), outcome: 'missed' }));
      cell.append(link);
    } else cell.textContent = format[kind](value);
    const change = row.insertCell();
    change.className = 'change';
    if (value === null || before === null) change.textContent = '';
    else {
      const delta = value - before;
      const arrow = delta > 0 ? '▲' : delta < 0 ? '▼' : '=';
      const size = kind === 'ratio' ? t('headline.points', { points: formatNumber(Math.abs(delta) * 100, 1) }) : format[kind](Math.abs(delta));
      change.textContent = `${arrow} ${delta === 0 ? '' : size} ${t('headline.before', { value: format[kind](before) })}`.replace(/\s+/g, ' ');
      change.dataset.trend = delta === 0 || better === 0 ? 'same' : Math.sign(delta) === better ? 'better' : 'worse';
    }
    return row;
  }));
}

for (const button of document.querySelectorAll('#headline-period button'))
  button.addEventListener('click', () => { days = Number(button.dataset.days); renderMetrics(business); });
