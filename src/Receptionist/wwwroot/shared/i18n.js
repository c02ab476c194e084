// One dictionary per language (shared/i18n/<lang>.js), Russian by default, one language on screen at a time.
// Static text carries data-i18n="key" (its text) or data-i18n-attr="attribute:key"; code asks t(key, values).
import ru from '/shared/i18n/ru.js';
import en from '/shared/i18n/en.js';

const dictionaries = { ru, en };
export const languages = Object.keys(dictionaries);
export let language = dictionaries[localStorage.getItem('language')] ? localStorage.getItem('language') : 'ru';

// A missing key shows itself (and the Russian text if only English lacks it), so a gap is visible, never blank.
export function t(key, values = {}) {
  const text = dictionaries[language][key] ?? ru[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? '');
}

export function translate(root = document) {
  document.documentElement.lang = language;
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of element.dataset.i18nAttr.split(';')) {
      const [attribute, key] = pair.split(':');
      element.setAttribute(attribute, t(key));
    }
  }
}

export function setLanguage(next) {
  if (!dictionaries[next]) return;
  language = next;
  localStorage.setItem('language', next);
  translate();
}

// Numbers and times the way the language writes them.
export const formatNumber = (value, digits = 0) =>
  value === null || value === undefined ? '—' : value.toLocaleString(language, { maximumFractionDigits: digits });
export const formatPercent = value =>
  value === null || value === undefined ? '—' : value.toLocaleString(language, { style: 'percent', maximumFractionDigits: 1 });
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
  const two = n => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(rest)}` : `${m}:${two(rest)}`;
}
