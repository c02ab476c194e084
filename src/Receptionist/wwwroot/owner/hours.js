// The weekly hours editor (one interval a day) and the holidays (closed all day), inside the profile form.
import { $ } from '/shared/api.js';
import { t, language } from '/shared/i18n.js';

const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
let holidays = [];

/** Fills the editor from the business (or the defaults for a new one: weekdays 09:00–18:00). */
export function fillHours(business) {
  const hours = business?.hours ?? days.slice(0, 5).map(day => ({ day, open: '09:00', close: '18:00' }));
  $('#hours-days').replaceChildren(...days.map(day => {
    const interval = hours.find(h => h.day === day);
    const row = document.createElement('tr');
    row.dataset.day = day;
    const open = Object.assign(document.createElement('input'), { type: 'checkbox', checked: !!interval, id: `open-${day}` });
    const label = Object.assign(document.createElement('label'), { htmlFor: open.id, className: 'check', textContent: t(`day.${day}`) });
    label.prepend(open);
    const from = Object.assign(document.createElement('input'), { type: 'time', value: interval?.open ?? '09:00', className: 'from' });
    const to = Object.assign(document.createElement('input'), { type: 'time', value: interval?.close ?? '18:00', className: 'to' });
    from.setAttribute('aria-label', t('hours.opens'));
    to.setAttribute('aria-label', t('hours.closes'));
    const toggle = () => { from.disabled = to.disabled = !open.checked; };
    open.addEventListener('change', toggle);
    toggle();
    row.insertCell().append(label);
    row.insertCell().append(from, ' — ', to);
    return row;
  }));
  holidays = [...(business?.holidays ?? [])];
  renderHolidays();
}

function renderHolidays() {
  $('#holiday-list').replaceChildren(...holidays.map((holiday, index) => {
    const item = document.createElement('li');
    item.dataset.date = holiday.date;
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'link', textContent: t('hours.remove') });
    remove.addEventListener('click', () => { holidays.splice(index, 1); renderHolidays(); });
    item.append(new Date(`${holiday.date}T00:00`).toLocaleDateString(language, { dateStyle: 'long' }), ' ', remove);
    return item;
  }));
}

$('#add-holiday').addEventListener('click', () => {
  const date = $('#holiday-date').value;
  if (!date || holidays.some(h => h.date === date)) return;
  holidays.push({ date });
  holidays.sort((a, b) => a.date.localeCompare(b.date));
  $('#holiday-date').value = '';
  renderHolidays();
});

/** The hours and holidays as the API takes them. */
export function readHours() {
  return {
    hours: [...$('#hours-days').rows].filter(row => row.querySelector('input[type=checkbox]').checked)
      .map(row => ({ day: row.dataset.day, open: row.querySelector('.from').value, close: row.querySelector('.to').value })),
    holidays,
  };
}
