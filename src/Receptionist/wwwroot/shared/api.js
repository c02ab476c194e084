// The same JSON API any client uses, signed in with Identity's HttpOnly cookie.
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
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
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
