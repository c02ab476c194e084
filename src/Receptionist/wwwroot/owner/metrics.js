// The owner's service-level figures: the same computation and API as the admin report, for one business.
import { api, $, show } from '/shared/api.js';
import { t, translate, formatNumber, formatPercent, formatDuration } from '/shared/i18n.js';

const shown = [
  ['offered', formatNumber], ['answered', formatNumber], ['missed', formatNumber], ['notBilled', formatNumber],
  ['serviceLevel', formatPercent], ['averageSpeedOfAnswerSeconds', formatDuration], ['repeatCallRate', formatPercent],
];

export async function renderMetrics(business) {
  show($('#service'), true);
  translate($('#service'));
  const from = new Date(Date.now() - 30 * 86400_000).toISOString();
  const figures = await api('GET', `/api/businesses/${business.id}/metrics?from=${encodeURIComponent(from)}`);
  $('#service-figures').replaceChildren(...shown.map(([key, format]) => {
    const row = document.createElement('tr');
    row.dataset.metric = key;
    row.insertCell().textContent = t(`metric.${key}`);
    row.insertCell().textContent = format(figures[key]);
    return row;
  }));
}
