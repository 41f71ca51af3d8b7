// Small DOM helpers. Text is always inserted as text nodes; the only HTML that is ever parsed
// comes from the server's sanitised fields, through trustedHtml().

/**
 * h('div', {class: 'x', onclick: fn, 'aria-label': '...'}, 'text', child, [more])
 * Attribute values are set with setAttribute (never "style": use classes or el.style from JS).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'class') {
        el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      } else if (k === 'value' && 'value' in el) {
        el.value = v;
      } else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'multiple' || k === 'required' || k === 'autofocus' || k === 'hidden' || k === 'readOnly') {
        el[k] = !!v;
        if (v === true && k !== 'checked' && k !== 'selected') el.setAttribute(k.toLowerCase(), '');
      } else if (k === 'style') {
        throw new Error('inline style attributes are not allowed (CSP)');
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

/** Append children (nested arrays allowed); null/undefined/false are skipped, strings become text. */
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Insert HTML that the server has already sanitised (document html, search snippet, title_html). */
export function trustedHtml(el, html) {
  el.innerHTML = typeof html === 'string' ? html : '';
  // Belt and braces: even sanitised HTML must not carry script, handlers or javascript: URLs.
  for (const bad of el.querySelectorAll('script, iframe, object, embed, style, link, meta, base, form')) bad.remove();
  for (const node of el.querySelectorAll('*')) {
    for (const attr of [...node.attributes]) {
      const name = attr.name.toLowerCase();
      const val = attr.value.trim().toLowerCase();
      if (name.startsWith('on') || name === 'style' || name === 'srcdoc' || name === 'formaction') {
        node.removeAttribute(attr.name);
      } else if ((name === 'href' || name === 'src' || name === 'xlink:href' || name === 'action') &&
        /^(javascript|vbscript|data):/.test(val.replace(/[\s\u0000-\u001f]/g, '')) &&
        !(name === 'src' && /^data:image\/(png|gif|jpe?g|webp);/.test(val))) {
        node.removeAttribute(attr.name);
      }
    }
    if (node.tagName === 'A' && /^https?:/i.test(node.getAttribute('href') || '')) {
      node.setAttribute('rel', 'noopener noreferrer nofollow');
      node.setAttribute('target', '_blank');
    }
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const PATHS = {
  search: ['M10.5 3a7.5 7.5 0 1 0 4.6 13.4l4.2 4.2 1.4-1.4-4.2-4.2A7.5 7.5 0 0 0 10.5 3zm0 2a5.5 5.5 0 1 1 0 11 5.5 5.5 0 0 1 0-11z'],
  bell: ['M12 3a6 6 0 0 0-6 6v3.6l-1.7 2.9A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6zm-2 15.5a2 2 0 0 0 4 0z'],
  menu: ['M4 6h16v2H4zm0 5h16v2H4zm0 5h16v2H4z'],
};
/** A small inline SVG icon (built with DOM calls, so CSP-clean). */
export function svgIcon(name, cls = 'svg-icon') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', cls);
  for (const d of PATHS[name] || []) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    p.setAttribute('fill', 'currentColor');
    svg.append(p);
  }
  return svg;
}

export function icon(name) {
  // Icons as text glyphs keep the page tiny and CSP-clean.
  const glyphs = {
    star: '★', starEmpty: '☆', bell: '🔔', search: '⌕', plus: '+', menu: '☰', close: '×',
    doc: '▤', folder: '▸', folderOpen: '▾', upload: '⇪', history: '⟲', edit: '✎', check: '✓', cross: '✕',
  };
  return h('span', { class: 'icon', 'aria-hidden': 'true' }, glyphs[name] || '');
}

let toastHost;
/**
 * Show a short message; kind: 'info' | 'error' | 'success'. The same message again replaces the
 * one shown (no pile of 已保存); at most three at a time.
 */
export function toast(message, kind = 'info') {
  if (!toastHost) {
    toastHost = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastHost);
  }
  for (const old of [...toastHost.children]) if (old.textContent === String(message)) old.remove();
  const el = h('div', { class: ['toast', 'toast-' + kind] }, message);
  el.bornAt = Date.now();
  toastHost.append(el);
  while (toastHost.children.length > 3) toastHost.firstChild.remove();
  setTimeout(() => el.classList.add('toast-out'), kind === 'error' ? 6000 : 3500);
  setTimeout(() => el.remove(), kind === 'error' ? 6400 : 3900);
  return el;
}

/**
 * On navigation: messages about the page being left go away. Only one raised in the last moment,
 * by the action that navigated (已保存为版本 3, then the document opens), comes along.
 */
export function dismissToasts() {
  if (!toastHost) return;
  const now = Date.now();
  for (const el of [...toastHost.children]) if (!(now - (el.bornAt || 0) < 1200)) el.remove();
}

/** A modal confirm built on <dialog>; resolves true/false. */
export function confirmDialog({ title, message, ok, cancel, danger }) {
  return new Promise((resolve) => {
    const okBtn = h('button', { class: ['btn', danger ? 'btn-danger' : 'btn-primary'], type: 'submit', value: 'ok' }, ok);
    const dlg = h('dialog', { class: 'dialog' },
      h('form', { method: 'dialog' },
        h('h2', { class: 'dialog-title' }, title),
        message ? h('p', null, message) : null,
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'btn', type: 'submit', value: 'cancel' }, cancel),
          okBtn)));
    dlg.addEventListener('close', () => { resolve(dlg.returnValue === 'ok'); dlg.remove(); });
    document.body.append(dlg);
    dlg.showModal();
    okBtn.focus();
  });
}

export function debounce(fn, ms) {
  let t;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

export function formatTime(iso, lang) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  const now = Date.now();
  const diff = (now - d.getTime()) / 1000;
  const zh = lang !== 'en';
  if (diff >= 0 && diff < 60) return zh ? '刚刚' : 'just now';
  if (diff >= 0 && diff < 3600) { const m = Math.floor(diff / 60); return zh ? `${m} 分钟前` : `${m} min ago`; }
  if (diff >= 0 && diff < 86400) { const hr = Math.floor(diff / 3600); return zh ? `${hr} 小时前` : `${hr} h ago`; }
  const pad = (n) => String(n).padStart(2, '0');
  const sameYear = d.getFullYear() === new Date().getFullYear();
  const date = zh
    ? `${sameYear ? '' : d.getFullYear() + '年'}${d.getMonth() + 1}月${d.getDate()}日`
    : `${sameYear ? '' : d.getFullYear() + '-'}${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fullTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

export function bytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}

/** Parse "a, b，c d" into unique tags (commas, Chinese commas, 、 or whitespace separate). */
export function parseTags(s) {
  const out = [];
  for (const raw of String(s || '').split(/[,，、;；\s]+/)) {
    const t = raw.replace(/^#/, '').trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}
