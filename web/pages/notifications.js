// 通知: all my notifications, 全部标为已读 (loaded on demand).

import { h, append, clear, toast } from '../dom.js';
import { t } from '../i18n.js';
import { post, getOptional } from '../api.js';
import { setTitle, setUnread } from '../app.js';
import { reportError } from '../ui.js';
import { section, notificationList } from './home.js';

export async function notificationsPage(main) {
  setTitle(t('notif.title'));
  const body = h('div');
  append(main, h('div', { class: 'page-head' }, h('h1', { class: 'page-title' }, t('notif.title')),
    h('div', { class: 'page-actions' }, h('button', { class: 'btn', type: 'button', onclick: async () => {
      try { await post('/notifications/read', {}); setUnread(0); toast(t('common.saved'), 'success'); load(); } catch (e) { reportError(e); }
    } }, t('home.markRead')))), h('div', { class: 'card' }, body));
  const load = () => section(clear(body), async () => {
    const d = await getOptional('/notifications', { limit: 100 }, null);
    if (d) setUnread(d.unread || 0);
    return d;
  }, (list) => notificationList(list, async (ids) => { try { await post('/notifications/read', { ids }); } catch { /* ignore */ } }), t('notif.none'), { hideCard: false });
  await load();
}
