// The 群机器人 card of a space's settings: its group robots (DingTalk, WeCom, Feishu webhooks),
// each with its kind, masked address, whether a secret is set and how its last delivery went.
// Shown on the admin page's 空间 tab and, for space managers, on the space's own page.

import { h, append, toast, formatTime, fullTime } from './dom.js';
import { t } from './i18n.js';
import { get, put } from './api.js';
import { reportError, enc } from './ui.js';

const ROBOT_KINDS = ['dingtalk', 'wecom', 'feishu'];

/** How the last delivery went, in words: 成功/失败, when, and why. */
function robotResult(last) {
  if (!last) return h('span', { class: 'muted' }, t('robots.never'));
  const when = formatTime(last.at);
  if (last.ok) return h('span', { class: 'robot-ok', title: fullTime(last.at) }, t('robots.ok', { time: when, attempts: last.attempts }));
  const why = last.error || (last.status ? 'HTTP ' + last.status : '');
  return h('span', { class: 'robot-failed', title: fullTime(last.at) },
    t(last.retrying ? 'robots.retrying' : 'robots.failed', { time: when, error: why, attempts: last.attempts }));
}

/** The 群机器人 card of a space's settings, or null for those who may not manage its robots. */
export async function robotsCard(space) {
  let hooks;
  try { hooks = await get(`/spaces/${enc(space.id)}/webhooks`); } catch { return null; }
  const rows = h('div', { class: 'robot-rows' });
  const addRow = (hook) => {
    const kind = h('select', { 'aria-label': t('robots.kind'), disabled: !!hook }, ROBOT_KINDS.map((k) => h('option', { value: k, selected: hook && hook.kind === k }, t('robots.kind.' + k))));
    const url = hook
      ? h('code', { class: 'robot-url', title: t('robots.urlMasked') }, hook.url)
      : h('input', { type: 'url', class: 'robot-url', placeholder: t('robots.urlPlaceholder'), 'aria-label': t('robots.url') });
    const secret = h('input', { type: 'password', autocomplete: 'off', 'aria-label': t('robots.secret'),
      placeholder: hook && hook.has_secret ? t('robots.secretKept') : t('robots.secretOptional') });
    const row = h('div', { class: 'robot-row' }, kind, url, secret,
      h('button', { class: 'btn btn-sm btn-quiet', type: 'button', 'aria-label': t('common.remove'), onclick: () => row.remove() }, '✕'),
      hook ? h('div', { class: 'robot-last small' }, t('robots.last'), ' ', robotResult(hook.last)) : null);
    row._value = () => {
      const v = hook ? { id: hook.id, kind: hook.kind } : { kind: kind.value, url: url.value.trim() };
      if (secret.value.trim()) v.secret = secret.value.trim();
      return v;
    };
    append(rows, row);
    return row;
  };
  for (const hook of hooks) addRow(hook);
  const card = h('section', { class: 'card robots-card' },
    h('h3', null, t('robots.title')),
    h('p', { class: 'muted small' }, t('robots.hint')),
    rows,
    h('button', { class: 'btn btn-sm', type: 'button', onclick: () => addRow(null).querySelector('input').focus() }, '+ ', t('robots.add')),
    h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'button', onclick: async () => {
      try {
        await put(`/spaces/${enc(space.id)}/webhooks`, [...rows.children].map((r) => r._value()));
        toast(t('robots.saved'), 'success');
        const fresh = await robotsCard(space);
        if (fresh) card.replaceWith(fresh);
      } catch (e) { reportError(e); }
    } }, t('robots.save'))));
  return card;
}
