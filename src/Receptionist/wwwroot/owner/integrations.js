// The owner's integrations: block list, Telegram, webhooks and CRMs with their delivery log, API keys, daily digest.
// Loaded by its own script tag and opened by its own button, so the rest of the owner page does not depend on it.
import { api, ApiError, $, show } from '/shared/api.js';
import { t, translate } from '/shared/i18n.js';

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
const button = (key, onClick, secondary = true) =>
  el('button', { type: 'button', className: secondary ? 'secondary' : '', textContent: t(key), onclick: onClick });
const when = iso => iso ? new Date(iso).toLocaleString(document.documentElement.lang) : '—';
const eventTypes = ['call.answered', 'call.missed', 'summary.created', 'call.blocked'];

let business = null;

// Static markup only (no data): the owner page holds just <section id="integrations">.
const markup = `
  <h2 data-i18n="integrations.title"></h2>
  <button id="integrations-open" type="button" class="secondary" data-i18n="integrations.open"></button>
  <p id="integrations-none" class="muted" hidden data-i18n="integrations.noBusiness"></p>
  <div id="integrations-body" hidden>
    <h3 data-i18n="integrations.blocked.title"></h3>
    <p class="muted" data-i18n="integrations.blocked.explain"></p>
    <table><thead><tr><th data-i18n="integrations.blocked.number"></th><th data-i18n="integrations.blocked.note"></th>
      <th data-i18n="integrations.blocked.expires"></th><th></th></tr></thead><tbody id="integrations-blocked-rows"></tbody></table>
    <form id="integrations-block-form" class="row">
      <div><label for="integrations-block-number" data-i18n="integrations.blocked.number"></label>
        <input id="integrations-block-number" data-field="number" required maxlength="40"></div>
      <div><label for="integrations-block-note" data-i18n="integrations.blocked.note"></label>
        <input id="integrations-block-note" data-field="note" maxlength="200"></div>
      <div><label for="integrations-block-expires" data-i18n="integrations.blocked.expires"></label>
        <input id="integrations-block-expires" data-field="expiresAt" type="datetime-local"></div>
      <div><button type="submit" data-i18n="integrations.blocked.add"></button></div>
    </form>

    <h3>Telegram</h3>
    <div id="integrations-telegram-state"></div>

    <h3 data-i18n="integrations.webhooks.title"></h3>
    <p class="muted" data-i18n="integrations.webhooks.explain"></p>
    <div id="integrations-webhook-list"></div>
    <form id="integrations-webhook-form">
      <label for="integrations-webhook-kind" data-i18n="integrations.webhooks.kind"></label>
      <select id="integrations-webhook-kind" data-field="kind">
        <option value="signed" data-i18n="integrations.kind.signed"></option>
        <option value="amoCrm" data-i18n="integrations.kind.amoCrm"></option>
        <option value="bitrix24" data-i18n="integrations.kind.bitrix24"></option>
      </select>
      <label for="integrations-webhook-url" data-i18n="integrations.webhooks.url"></label>
      <input id="integrations-webhook-url" data-field="url" required maxlength="500" placeholder="https://">
      <div id="integrations-webhook-token-row">
        <label for="integrations-webhook-token" data-i18n="integrations.webhooks.token"></label>
        <input id="integrations-webhook-token" data-field="accessToken" maxlength="2000">
      </div>
      <fieldset data-field="events"><legend data-i18n="integrations.webhooks.events"></legend><div id="integrations-webhook-events"></div></fieldset>
      <button type="submit" data-i18n="integrations.webhooks.add"></button>
    </form>

    <h3 data-i18n="integrations.keys.title"></h3>
    <p class="muted" data-i18n="integrations.keys.explain"></p>
    <div id="integrations-key-once"></div>
    <table><thead><tr><th data-i18n="integrations.keys.name"></th><th data-i18n="integrations.keys.hint"></th>
      <th data-i18n="integrations.keys.created"></th><th data-i18n="integrations.keys.used"></th><th></th><th></th></tr></thead>
      <tbody id="integrations-key-rows"></tbody></table>
    <form id="integrations-key-form" class="row">
      <div><label for="integrations-key-name" data-i18n="integrations.keys.name"></label>
        <input id="integrations-key-name" data-field="name" required maxlength="100"></div>
      <div><button type="submit" data-i18n="integrations.keys.create"></button></div>
    </form>

    <h3 data-i18n="integrations.digest.title"></h3>
    <form id="integrations-digest-form" class="row">
      <div><label class="inline"><input id="integrations-digest-enabled" type="checkbox"> <span data-i18n="integrations.digest.enabled"></span></label></div>
      <div><label for="integrations-digest-time" data-i18n="integrations.digest.time"></label>
        <input id="integrations-digest-time" data-field="time" type="time"></div>
      <div><button type="submit" data-i18n="integrations.digest.save"></button></div>
    </form>
  </div>`;

// Field errors go next to their field (an element with data-field="name" in the form); the rest under the form.
function showProblem(form, error) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  const errors = error instanceof ApiError ? error.problem?.errors ?? {} : {};
  let placed = false;
  for (const [field, messages] of Object.entries(errors)) {
    const target = form.querySelector(`[data-field="${field.split('[')[0]}"]`);
    if (!target) continue;
    const key = `integrations.error.${field.split('[')[0]}`;
    target.after(el('p', { className: 'error field-error', textContent: t(key) === key ? messages.join(' ') : t(key) }));
    placed = true;
  }
  if (!placed) form.append(el('p', { className: 'error field-error', textContent: t('integrations.error.general') }));
}

// Errors of the last try go; a form that adds something is emptied after success, a settings form keeps its values.
async function submit(form, action, { reset = true } = {}) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  try {
    await action();
    if (reset) form.reset();
  } catch (error) { showProblem(form, error); }
}

async function renderBlocked() {
  const list = await api('GET', `/api/businesses/${business.id}/blocked-callers`);
  $('#integrations-blocked-rows').replaceChildren(...list.map(entry => {
    const row = el('tr');
    for (const text of [entry.number, entry.note ?? '', entry.expiresAt ? when(entry.expiresAt) : t('integrations.blocked.forever')])
      row.insertCell().textContent = text;
    row.insertCell().append(button('integrations.remove', async () => {
      await api('DELETE', `/api/businesses/${business.id}/blocked-callers/${entry.id}`);
      await renderBlocked();
    }));
    return row;
  }));
}

async function renderTelegram() {
  const status = await api('GET', `/api/businesses/${business.id}/telegram`);
  const box = $('#integrations-telegram-state');
  if (!status.enabled) { box.replaceChildren(el('p', { className: 'muted', textContent: t('integrations.telegram.off') })); return; }
  if (status.linked) {
    box.replaceChildren(el('p', { textContent: t('integrations.telegram.linked', { chat: status.chatTitle ?? '' }) }),
      button('integrations.telegram.unlink', async () => { await api('DELETE', `/api/businesses/${business.id}/telegram`); await renderTelegram(); }));
    return;
  }
  box.replaceChildren(button('integrations.telegram.link', async () => {
    const offer = await api('POST', `/api/businesses/${business.id}/telegram/link`);
    box.replaceChildren(el('p', { textContent: t('integrations.telegram.open') }),
      el('a', { href: offer.url, target: '_blank', rel: 'noopener', textContent: offer.url }),
      button('integrations.telegram.check', renderTelegram));
  }, false));
}

async function renderDeliveries(endpoint, holder) {
  const deliveries = await api('GET', `/api/businesses/${business.id}/webhooks/${endpoint.id}/deliveries`);
  const table = el('table', {}, el('thead', {}, el('tr', {}, ...['when', 'event', 'state', 'code', 'error', ''].map(key =>
    el('th', { textContent: key ? t(`integrations.delivery.${key}`) : '' })))));
  const body = el('tbody');
  for (const delivery of deliveries) {
    const row = el('tr');
    for (const text of [when(delivery.lastAttemptAt ?? delivery.createdAt), delivery.eventType,
      t(`integrations.delivery.state.${delivery.state}`), delivery.lastStatusCode ?? '—', delivery.lastError ?? ''])
      row.insertCell().textContent = String(text);
    row.insertCell().append(button('integrations.delivery.resend', async () => {
      await api('POST', `/api/businesses/${business.id}/webhooks/${endpoint.id}/deliveries/${delivery.id}/resend`);
      await renderDeliveries(endpoint, holder);
    }));
    body.append(row);
  }
  table.append(body);
  holder.replaceChildren(deliveries.length ? table : el('p', { className: 'muted', textContent: t('integrations.delivery.none') }));
}

function secretNotice(secret) {
  return el('p', { className: 'secret' }, t('integrations.webhooks.secretOnce') + ' ', el('code', { textContent: secret }));
}

async function renderWebhooks(justCreated) {
  const endpoints = await api('GET', `/api/businesses/${business.id}/webhooks`);
  $('#integrations-webhook-list').replaceChildren(...endpoints.map(endpoint => {
    const card = el('div', { className: 'integration' });
    const deliveries = el('div');
    const notice = el('div');
    if (justCreated?.id === endpoint.id && justCreated.secret && endpoint.kind === 'signed') notice.append(secretNotice(justCreated.secret));
    card.append(
      el('p', {}, el('strong', { textContent: t(`integrations.kind.${endpoint.kind}`) }), ` ${endpoint.url}`),
      el('p', { className: 'muted', textContent: `${endpoint.events.join(', ')} · ${t('integrations.webhooks.secret')} ${endpoint.secretHint}` }),
      notice,
      el('div', { className: 'toolbar' },
        button('integrations.webhooks.test', async () => {
          await api('POST', `/api/businesses/${business.id}/webhooks/${endpoint.id}/test`);
          await renderDeliveries(endpoint, deliveries);
        }, false),
        button('integrations.webhooks.log', () => renderDeliveries(endpoint, deliveries)),
        ...(endpoint.kind === 'signed' ? [button('integrations.webhooks.rotate', async () => {
          const rotated = await api('POST', `/api/businesses/${business.id}/webhooks/${endpoint.id}/rotate-secret`);
          notice.replaceChildren(secretNotice(rotated.secret));
        })] : []),
        button('integrations.remove', async () => {
          await api('DELETE', `/api/businesses/${business.id}/webhooks/${endpoint.id}`);
          await renderWebhooks();
        })),
      deliveries);
    return card;
  }));
}

async function renderApiKeys(justCreated) {
  const keys = await api('GET', '/api/api-keys');
  $('#integrations-key-once').replaceChildren(...(justCreated ? [el('p', { className: 'secret' },
    t('integrations.keys.once') + ' ', el('code', { textContent: justCreated.key }))] : []));
  $('#integrations-key-rows').replaceChildren(...keys.map(key => {
    const row = el('tr');
    for (const text of [key.name, key.hint, when(key.createdAt), when(key.lastUsedAt), key.revokedAt ? t('integrations.keys.revoked') : ''])
      row.insertCell().textContent = text;
    row.insertCell().append(...(key.revokedAt ? [] : [button('integrations.keys.revoke', async () => {
      await api('DELETE', `/api/api-keys/${key.id}`);
      await renderApiKeys();
    })]));
    return row;
  }));
}

async function renderDigest() {
  const digest = await api('GET', `/api/businesses/${business.id}/digest`);
  $('#integrations-digest-enabled').checked = digest.enabled;
  $('#integrations-digest-time').value = digest.time;
}

function wireForms() {
  const blockForm = $('#integrations-block-form');
  blockForm.addEventListener('submit', event => {
    event.preventDefault();
    const expires = $('#integrations-block-expires').value;
    submit(blockForm, async () => {
      await api('POST', `/api/businesses/${business.id}/blocked-callers`, {
        number: $('#integrations-block-number').value,
        note: $('#integrations-block-note').value || null,
        expiresAt: expires ? new Date(expires).toISOString() : null,
      });
      await renderBlocked();
    });
  });

  const kind = $('#integrations-webhook-kind');
  const showToken = () => show($('#integrations-webhook-token-row'), kind.value === 'amoCrm');
  kind.addEventListener('change', showToken);
  showToken();
  $('#integrations-webhook-events').replaceChildren(...eventTypes.map(type => el('label', { className: 'inline' },
    el('input', { type: 'checkbox', value: type, checked: type === 'summary.created' }), ` ${type}`)));
  const webhookForm = $('#integrations-webhook-form');
  webhookForm.addEventListener('submit', event => {
    event.preventDefault();
    submit(webhookForm, async () => {
      const created = await api('POST', `/api/businesses/${business.id}/webhooks`, {
        kind: kind.value,
        url: $('#integrations-webhook-url').value,
        events: [...webhookForm.querySelectorAll('#integrations-webhook-events input:checked')].map(box => box.value),
        accessToken: kind.value === 'amoCrm' ? $('#integrations-webhook-token').value : null,
      });
      await renderWebhooks(created);
    });
  });

  const keyForm = $('#integrations-key-form');
  keyForm.addEventListener('submit', event => {
    event.preventDefault();
    submit(keyForm, async () => renderApiKeys(await api('POST', '/api/api-keys', { name: $('#integrations-key-name').value })));
  });

  const digestForm = $('#integrations-digest-form');
  digestForm.addEventListener('submit', event => {
    event.preventDefault();
    const request = { enabled: $('#integrations-digest-enabled').checked, time: $('#integrations-digest-time').value || null };
    submit(digestForm, async () => {
      await api('PUT', `/api/businesses/${business.id}/digest`, request);
      await renderDigest();
      digestForm.append(el('p', { className: 'muted field-error', textContent: t('integrations.digest.saved') }));
    }, { reset: false });
  });
}

async function open() {
  const businesses = await api('GET', '/api/businesses');
  business = businesses[0] ?? null;
  show($('#integrations-body'), !!business);
  show($('#integrations-none'), !business);
  translate($('#integrations'));
  if (!business) return;
  await Promise.all([renderBlocked(), renderTelegram(), renderWebhooks(), renderApiKeys(), renderDigest()]);
}

// Shown by the owner page once someone is signed in (owner.js), like every other section.
$('#integrations').innerHTML = markup;
wireForms();
translate($('#integrations'));
$('#integrations-open').addEventListener('click', () => open().catch(error => {
  $('#integrations-none').textContent = error.status === 401 ? t('integrations.signInFirst') : t('integrations.error.general');
  show($('#integrations-none'), true);
}));
