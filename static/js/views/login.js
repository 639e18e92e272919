// Sign-in page (identity + password), admins only.

import { h, replace } from '../dom.js';
import { login, ApiError } from '../api.js';
import { field, input, button, notice, alertBanner, formBanner, showFormError, clearFieldErrors } from '../ui.js';

let flash = null;

/** A message for the next render of the sign-in page (session expired, signed out...). */
export function setFlash(text, type = 'info') { flash = { text, type }; }

export function authCard(title, subtitle, ...body) {
  return h('section', { class: 'auth-card card' },
    h('div', { class: 'auth-brand' },
      h('img', { src: '/admin/favicon.svg', alt: '', width: '40', height: '40' }),
      h('span', { class: 'brand-name' }, 'Folio')),
    h('h1', { tabindex: '-1', testid: 'page-title' }, title),
    subtitle && h('p', { class: 'muted' }, subtitle),
    ...body);
}

export function render({ root, query, navigate, signal }) {
  const message = flash;
  flash = null;

  const identity = input({ autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = input({ type: 'password', autocomplete: 'current-password', required: true });
  const submit = button('Sign in', null, { type: 'submit', kind: 'primary', testid: 'login-submit' });
  submit.classList.add('btn-block');
  const status = h('div', { class: 'login-status', 'aria-live': 'assertive', testid: 'login-message' },
    message && notice(message.text, { type: message.type, testid: 'login-flash' }));
  const banner = formBanner();
  const form = h('form', { class: 'form', novalidate: true, testid: 'login-form' },
    status,
    banner,
    field({ label: 'Email or username', control: identity, name: 'identity', testid: 'login-identity' }),
    field({ label: 'Password', control: password, name: 'password', testid: 'login-password' }),
    submit);

  let countdown = null;
  signal.addEventListener('abort', () => clearInterval(countdown));

  function lockFor(seconds) {
    let left = seconds;
    submit.disabled = true;
    const text = h('span', null);
    const tick = () => {
      text.textContent = `Too many sign-in attempts. Try again in ${left} second${left === 1 ? '' : 's'}.`;
      if (left <= 0) {
        clearInterval(countdown);
        submit.disabled = false;
        text.textContent = 'You can try again now.';
      }
      left -= 1;
    };
    tick();
    clearInterval(countdown);
    countdown = setInterval(tick, 1000);
    replace(status, h('div', { class: 'alert alert-warning', role: 'alert', testid: 'login-error', 'data-code': 'rate_limited' }, text));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    replace(status);
    if (!identity.value.trim() || !password.value) {
      replace(status, alertBanner('Enter your email or username and your password.', { testid: 'login-error' }));
      (identity.value.trim() ? password : identity).focus();
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    let locked = false;
    try {
      await login(identity.value.trim(), password.value);
      const next = query.get('next');
      const safe = next && next.startsWith('/') && !next.startsWith('/login') ? next : '/';
      const [p, qs] = safe.split('?');
      navigate(p, qs ? Object.fromEntries(new URLSearchParams(qs)) : undefined);
    } catch (err) {
      password.value = '';
      if (err instanceof ApiError && err.status === 429) {
        locked = true;
        lockFor(err.retryAfter ?? 60);
      } else if (err instanceof ApiError && err.code === 'invalid_credentials') {
        replace(status, h('div', { class: 'alert alert-error', role: 'alert', testid: 'login-error', 'data-code': err.code },
          'Wrong email/username or password. (A disabled account cannot sign in either.)'));
        password.focus();
      } else if (err instanceof ApiError && err.code === 'not_admin') {
        replace(status, h('div', { class: 'alert alert-error', role: 'alert', testid: 'login-error', 'data-code': err.code },
          'This account is not an administrator. Only admins can use the Folio console.'));
        identity.focus();
      } else if (err instanceof ApiError && err.status === 400) {
        showFormError(form, err);
      } else {
        replace(status, h('div', { testid: 'login-error' }, alertBanner(err)));
      }
    } finally {
      submit.removeAttribute('aria-busy');
      if (!locked) submit.disabled = false;
    }
  });

  replace(root, authCard('Sign in to Folio', 'Administrators only.', form,
    h('p', { class: 'muted small auth-foot' },
      'First run? Open the one-time setup link that the server printed in its log.')));
  identity.focus();
  return () => clearInterval(countdown);
}
