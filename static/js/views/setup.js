// First run: the one-time setup link creates the first administrator.

import { h, replace } from '../dom.js';
import { setup, ApiError } from '../api.js';
import { field, input, button, alertBanner, formBanner, showFormError, clearFieldErrors, toast } from '../ui.js';
import { authCard } from './login.js';

export const PASSWORD_HINT = '8–128 characters with a lower-case letter, an upper-case letter and a digit; not a common password.';

export function render({ root, query, navigate }) {
  // Read the token raw: URLSearchParams would turn a '+' into a space.
  const raw = /[?&]token=([^&]*)/.exec(window.location.hash)?.[1];
  let token = query.get('token') || '';
  if (raw) { try { token = decodeURIComponent(raw); } catch { /* keep the parsed value */ } }
  if (!token) {
    replace(root, authCard('Set up Folio', null,
      alertBanner('This setup link has no token. Use the complete link from the server log: it ends with “#/setup?token=…”.',
        { testid: 'setup-error' }),
      h('p', null, h('a', { href: '#/login' }, 'Go to sign in'))));
    return undefined;
  }

  const email = input({ type: 'email', autocomplete: 'email', required: true, spellcheck: 'false' });
  const username = input({ autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false',
    minlength: '3', maxlength: '30', pattern: '[A-Za-z0-9_\\-]{3,30}' });
  const password = input({ type: 'password', autocomplete: 'new-password', required: true, minlength: '8', maxlength: '128' });
  const confirm = input({ type: 'password', autocomplete: 'new-password', required: true });
  const submit = button('Create administrator', null, { type: 'submit', kind: 'primary', testid: 'setup-submit' });
  submit.classList.add('btn-block');
  const banner = formBanner();
  const status = h('div', { 'aria-live': 'assertive', testid: 'setup-message' });
  const form = h('form', { class: 'form', novalidate: true, testid: 'setup-form' },
    status,
    banner,
    field({ label: 'Email', control: email, name: 'email', testid: 'setup-email' }),
    field({ label: 'Username', control: username, name: 'username', testid: 'setup-username',
      hint: '3–30 characters: letters, digits, “_” and “-”.' }),
    field({ label: 'Password', control: password, name: 'password', testid: 'setup-password', hint: PASSWORD_HINT }),
    field({ label: 'Confirm password', control: confirm, name: 'confirm', testid: 'setup-confirm' }),
    submit);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    replace(status);
    if (password.value !== confirm.value) {
      showFormError(form, new ApiError({ status: 400, code: 'validation_failed', message: 'Validation failed',
        details: [{ field: 'confirm', message: 'The passwords do not match.' }] }));
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      const user = await setup({ token, email: email.value.trim(), username: username.value.trim(), password: password.value });
      toast(`Welcome, ${user.username}! Your administrator account is ready.`);
      navigate('/', undefined, { replace: true }); // drops the token from the address bar and history
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(status, h('div', { class: 'alert alert-info', role: 'alert', testid: 'setup-error', 'data-code': err.code },
          'Folio already has an administrator, so this setup link no longer works. ',
          h('a', { href: '#/login' }, 'Sign in instead.')));
      } else if (err instanceof ApiError && err.status === 401) {
        replace(status, h('div', { class: 'alert alert-error', role: 'alert', testid: 'setup-error', 'data-code': err.code },
          'This setup link is invalid or has expired. Restart the server to print a fresh link, and use it in full.'));
      } else if (err instanceof ApiError && err.status === 400) {
        showFormError(form, err);
      } else {
        replace(status, h('div', { testid: 'setup-error' }, alertBanner(err)));
      }
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });

  replace(root, authCard('Create the first administrator',
    'This one-time link sets up Folio. The account you create here manages everything else.', form));
  email.focus();
  return undefined;
}
