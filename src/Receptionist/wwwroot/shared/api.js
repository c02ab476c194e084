// The same JSON API any client uses, signed in with Identity's HttpOnly cookie, in the page's language.
import { language } from '/shared/i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  // Field errors from RFC 9457 validation problems, flattened to "field: message" lines.
  get fieldErrors() {
    return Object.entries(this.problem?.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(' ')}`);
  }
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    // Problem details come back in the language on screen (the API's request localization).
    headers: { 'Accept-Language': language, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const signIn = (email, password) => api('POST', '/api/auth/login?useCookies=true', { email, password });
export const signOut = () => api('POST', '/api/auth/logout');

/** Wires the page's sign-in form (#auth-form, #auth-email, #auth-password, #auth-error): signs in, then start().
 *  A refused sign-in shows `badCredentials`, a sentence in the page's language, never the API's own word. */
export function bindSignIn(start, badCredentials) {
  $('#auth-form').addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await signIn($('#auth-email').value, $('#auth-password').value);
      show($('#auth-error'), false);
      await start();
    } catch (error) { showError($('#auth-error'), error.status === 401 ? new Error(badCredentials) : error); }
  });
}

export function $(selector, root = document) { return root.querySelector(selector); }

export function show(element, visible) { element.hidden = !visible; }

export function showError(element, error) {
  element.textContent = error instanceof ApiError && error.fieldErrors.length
    ? error.fieldErrors.join('\n')
    : (error?.message ?? String(error));
  element.hidden = false;
}

/** Shows each field error of a problem next to its field — the element with data-field="name" in `form`, or for
 *  "summaryEmails[1]" / "hours[0].close" the one named by the first part — as the sentence the API wrote in the page's
 *  language; what belongs to no field (and any other error) goes to `general`. */
export function showProblem(form, general, error) {
  clearProblem(form, general);
  const errors = error instanceof ApiError ? Object.entries(error.problem?.errors ?? {}) : [];
  const unplaced = [];
  for (const [field, messages] of errors) {
    const target = form.querySelector(`[data-field="${CSS.escape(field)}"]`)
      ?? form.querySelector(`[data-field="${CSS.escape(field.split(/[.[]/)[0])}"]`);
    if (!target) { unplaced.push(...messages); continue; }
    showFieldError(target, messages.join(' '));
  }
  if (unplaced.length || errors.length === 0) {
    general.textContent = unplaced.length ? unplaced.join('\n') : (error?.message ?? String(error));
    general.hidden = false;
  }
}

/** A sentence under one field, announced to screen readers and tied to the field. */
export function showFieldError(field, sentence) {
  field.setAttribute('aria-invalid', 'true');
  const note = document.createElement('p');
  note.className = 'error field-error';
  note.id = `${field.id || field.dataset.field}-problem`;
  note.setAttribute('role', 'alert');
  note.textContent = sentence;
  field.setAttribute('aria-describedby', note.id);
  (field.closest('label') ?? field).insertAdjacentElement('afterend', note);
}

export function clearProblem(form, general) {
  for (const note of form.querySelectorAll('.field-error')) note.remove();
  for (const field of form.querySelectorAll('[aria-invalid]')) { field.removeAttribute('aria-invalid'); field.removeAttribute('aria-describedby'); }
  if (general) general.hidden = true;
}
