import { h, append } from '../dom.js';
import { t, getLang, setLang } from '../i18n.js';
import { post, ApiError } from '../api.js';
import { navigate, setSession, setTitle, render } from '../app.js';
import { field, errorMessage } from '../ui.js';

export function loginPage(main, { query }) {
  setTitle(t('login.title'));
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true, autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, t('login.submit'));
  const form = h('form', { class: 'login-form', novalidate: true }, 
    field(t('login.username'), username),
    field(t('login.password'), password),
    error, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      error.textContent = t('login.failed');
      error.hidden = false;
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    try {
      const data = await post('/session', { username: username.value.trim(), password: password.value }, { noAuthRedirect: true });
      setSession(data);
      let next = query.next || '#/';
      if (!next.startsWith('#/') || next.startsWith('#/login')) next = '#/';
      navigate(next, { replace: true });
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? t('login.failed') : errorMessage(e);
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = t('login.submit');
      password.select();
    }
  });
  const langBtn = h('button', { class: 'link-btn', type: 'button', onclick: () => { setLang(getLang() === 'en' ? 'zh-CN' : 'en'); render(); } }, t('nav.lang'));
  append(main, h('div', { class: 'login-wrap' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' },
        h('span', { class: 'brand-seal brand-seal-lg', 'aria-hidden': 'true' }, '翰'),
        h('div', null, h('div', { class: 'login-app' }, t('app.name')), h('div', { class: 'login-tag' }, t('app.tagline')))),
      h('h1', { class: 'login-title' }, t('login.title')),
      h('p', { class: 'login-sub' }, t('login.subtitle')),
      form),
    h('div', { class: 'login-foot' }, langBtn)));
  setTimeout(() => username.focus(), 0);
}
