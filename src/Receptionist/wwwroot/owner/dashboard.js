// The owner's own figures drawn: calls per day by outcome (stacked bars) and a weekday × hour heat map, both from
// series the server computes (GET /api/businesses/{id}/calls-stats), in plain SVG and a table.
import { api, $, show } from '/shared/api.js';
import { t, translate, language } from '/shared/i18n.js';

const outcomes = ['answered', 'abandoned', 'overflowed', 'notLive', 'failed', 'inProgress'];
const colours = { answered: '#1f6f5c', abandoned: '#d9822b', overflowed: '#b3261e', notLive: '#8a8f8c', failed: '#5f6b66', inProgress: '#9cc9bb' };
const svg = (name, attributes) => {
  const element = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
};

export async function renderDashboard(business) {
  show($('#dashboard'), true);
  translate($('#dashboard'));
  const stats = await api('GET', `/api/businesses/${business.id}/calls-stats`);
  drawDays(stats);
  drawHeatmap(stats);
}

function drawDays(stats) {
  const days = [];
  for (let d = new Date(stats.from); d <= new Date(stats.to); d = new Date(d.getTime() + 86400_000))
    days.push(d.toLocaleDateString('sv-SE', { timeZone: stats.timeZone }));
  const perDay = Object.fromEntries(days.map(day => [day, {}]));
  for (const { date, outcome, calls } of stats.byDay) (perDay[date] ??= {})[outcome] = calls;
  const max = Math.max(1, ...Object.values(perDay).map(o => Object.values(o).reduce((a, b) => a + b, 0)));
  const width = 10, height = 120;
  const chart = svg('svg', { viewBox: `0 0 ${days.length * width} ${height}`, preserveAspectRatio: 'none', class: 'chart' });
  days.forEach((day, i) => {
    let y = height;
    for (const outcome of outcomes) {
      const calls = perDay[day]?.[outcome] ?? 0;
      if (!calls) continue;
      const h = calls / max * (height - 4);
      y -= h;
      const bar = svg('rect', { x: i * width + 1, y, width: width - 2, height: h, fill: colours[outcome], 'data-date': day, 'data-outcome': outcome });
      bar.append(Object.assign(svg('title', {}), { textContent: `${new Date(`${day}T00:00`).toLocaleDateString(language)}: ${t(`outcome.${outcome}`, {})} — ${calls}` }));
      chart.append(bar);
    }
  });
  $('#calls-chart').replaceChildren(chart);
  $('#chart-legend').replaceChildren(...outcomes.filter(o => stats.byDay.some(d => d.outcome === o)).map(outcome => {
    const item = document.createElement('li');
    item.style.setProperty('--swatch', colours[outcome]);
    item.textContent = outcome === 'inProgress' ? t('owner.callInProgress') : t(`outcome.${outcome}`);
    return item;
  }));
}

function drawHeatmap(stats) {
  const counts = Object.fromEntries(stats.byWeekdayAndHour.map(c => [`${c.weekday}-${c.hour}`, c.calls]));
  const max = Math.max(1, ...Object.values(counts));
  const header = document.createElement('tr');
  header.append(document.createElement('th'));
  for (let hour = 0; hour < 24; hour += 1)
    header.append(Object.assign(document.createElement('th'), { textContent: hour % 3 === 0 ? String(hour) : '' }));
  const rows = [1, 2, 3, 4, 5, 6, 7].map(weekday => {
    const row = document.createElement('tr');
    row.append(Object.assign(document.createElement('th'), { textContent: t(`dashboard.weekday${weekday}`) }));
    for (let hour = 0; hour < 24; hour += 1) {
      const calls = counts[`${weekday}-${hour}`] ?? 0;
      const cell = document.createElement('td');
      cell.dataset.calls = calls;
      cell.style.background = calls ? `rgba(31, 111, 92, ${0.15 + 0.85 * calls / max})` : '';
      cell.title = t('dashboard.heatCell', { hour, calls });
      row.append(cell);
    }
    return row;
  });
  $('#heatmap tbody').replaceChildren(header, ...rows);
}
