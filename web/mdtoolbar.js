// A Markdown toolbar and shortcuts for a <textarea>: heading, bold, italic, list, task, table,
// link, code, image. Edits go through execCommand('insertText') where the browser has it, so
// Ctrl+Z undoes them like typing; nothing happens while an input method is composing.

import { h } from './dom.js';
import { t } from './i18n.js';

/** Replace the selection [start, end) with text and select [selStart, selEnd) of it (offsets in text). */
function replace(ta, start, end, text, selStart = text.length, selEnd = selStart) {
  ta.focus();
  ta.setSelectionRange(start, end);
  let ok = false;
  try { ok = document.execCommand('insertText', false, text); } catch { ok = false; }
  if (!ok || ta.value.slice(start, start + text.length) !== text) {
    ta.setRangeText(text, start, end, 'end');
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }
  ta.setSelectionRange(start + selStart, start + selEnd);
}

/** Wrap the selection in before/after; with nothing selected, insert a placeholder and select it. */
function wrap(ta, before, after, placeholder) {
  const { selectionStart: s, selectionEnd: e, value } = ta;
  const sel = value.slice(s, e);
  if (sel && value.slice(s - before.length, s) === before && value.slice(e, e + after.length) === after) {
    // Already wrapped: unwrap.
    replace(ta, s - before.length, e + after.length, sel, 0, sel.length);
    return;
  }
  const inner = sel || placeholder;
  replace(ta, s, e, before + inner + after, before.length, before.length + inner.length);
}

/** The whole lines the selection touches. */
function lineRange(ta) {
  const { selectionStart: s, selectionEnd: e, value } = ta;
  const start = value.lastIndexOf('\n', s - 1) + 1;
  let end = value.indexOf('\n', e > s && value[e - 1] === '\n' ? e - 1 : e);
  if (end < 0) end = value.length;
  return [start, end];
}

/** Give each touched line a prefix (or take it away when every line has it already). */
function prefixLines(ta, prefix, placeholder, strip = /^/) {
  const [start, end] = lineRange(ta);
  const lines = ta.value.slice(start, end).split('\n');
  const all = lines.every((l) => l.startsWith(prefix));
  let out;
  if (all) out = lines.map((l) => l.slice(prefix.length));
  else out = lines.map((l) => prefix + (l.replace(strip, '') || (lines.length === 1 ? placeholder : '')));
  const text = out.join('\n');
  if (!all && lines.length === 1 && !lines[0]) replace(ta, start, end, text, prefix.length, text.length);
  else replace(ta, start, end, text, text.length);
}

/** Insert a block on lines of its own. */
function block(ta, text, selFrom, selTo) {
  const { selectionStart: s, selectionEnd: e, value } = ta;
  const before = s > 0 && value[s - 1] !== '\n' ? '\n\n' : (s > 1 && value[s - 2] !== '\n' ? '\n' : '');
  const after = value.slice(e).startsWith('\n') ? '' : '\n';
  replace(ta, s, e, before + text + after, before.length + selFrom, before.length + selTo);
}

export const actions = {
  heading: (ta) => {
    const [start, end] = lineRange(ta);
    const line = ta.value.slice(start, end);
    const m = /^(#{1,6}) /.exec(line);
    // ## -> ### -> (none) -> ##: one button walks the levels people use.
    const next = !m ? '## ' : m[1].length >= 3 ? '' : '#'.repeat(m[1].length + 1) + ' ';
    const rest = m ? line.slice(m[0].length) : line;
    const body = rest || (next ? t('md.headingText') : '');
    replace(ta, start, end, next + body, next.length, next.length + body.length);
  },
  bold: (ta) => wrap(ta, '**', '**', t('md.boldText')),
  italic: (ta) => wrap(ta, '*', '*', t('md.italicText')),
  list: (ta) => prefixLines(ta, '- ', t('md.listItem'), /^([-*+] |\d+\. )/),
  task: (ta) => prefixLines(ta, '- [ ] ', t('md.taskItem'), /^([-*+] (\[[ xX]\] )?)/),
  table: (ta) => {
    const head = `| ${t('md.col1')} | ${t('md.col2')} |`;
    const text = `${head}\n| --- | --- |\n| ${t('md.cell')} | ${t('md.cell')} |`;
    block(ta, text, 2, 2 + t('md.col1').length);
  },
  link: (ta) => {
    const { selectionStart: s, selectionEnd: e, value } = ta;
    const sel = value.slice(s, e);
    const isUrl = /^https?:\/\/\S+$/.test(sel);
    const label = isUrl ? t('md.linkText') : (sel || t('md.linkText'));
    const url = isUrl ? sel : 'https://';
    const text = `[${label}](${url})`;
    // Select what still needs writing: the address (or the label, when the address was selected).
    if (isUrl) replace(ta, s, e, text, 1, 1 + label.length);
    else replace(ta, s, e, text, label.length + 3, label.length + 3 + url.length);
  },
  code: (ta) => {
    const { selectionStart: s, selectionEnd: e, value } = ta;
    const sel = value.slice(s, e);
    const [ls, le] = lineRange(ta);
    if (sel.includes('\n') || (!sel && ls === le)) {
      const inner = sel.replace(/\n$/, '') || t('md.codeText');
      block(ta, '```\n' + inner + '\n```', 4, 4 + inner.length);
    } else wrap(ta, '`', '`', t('md.codeText'));
  },
  image: (ta) => {
    const { selectionStart: s, selectionEnd: e, value } = ta;
    const alt = value.slice(s, e) || t('md.imageAlt');
    const text = `![${alt}](https://)`;
    replace(ta, s, e, text, alt.length + 4, text.length - 1);
  },
};

const BUTTONS = [
  ['heading', 'H', ''], ['bold', 'B', 'Ctrl+B'], ['italic', 'I', 'Ctrl+I'], ['list', '•', 'Ctrl+Shift+8'],
  ['task', '☐', 'Ctrl+Shift+9'], ['table', '▦', ''], ['link', '↗', 'Ctrl+K'], ['code', '</>', 'Ctrl+E'], ['image', '▣', ''],
];
const KEYS = { b: 'bold', i: 'italic', k: 'link', e: 'code', h: 'heading' };
const SHIFT_KEYS = { '8': 'list', '*': 'list', '9': 'task', '(': 'task' };

/** A toolbar for the textarea, and its shortcuts (bound on the textarea). */
export function markdownToolbar(ta) {
  const bar = h('div', { class: 'md-toolbar', role: 'toolbar', 'aria-label': t('md.toolbar') },
    BUTTONS.map(([name, glyph, key]) => {
      const label = t('md.' + name);
      return h('button', {
        type: 'button', class: ['md-btn', 'md-' + name], 'data-action': name, title: key ? `${label}（${key}）` : label,
        'aria-label': label, 'aria-keyshortcuts': key ? key.replace('Ctrl', 'Control') : null,
        onmousedown: (e) => e.preventDefault(), // keep the textarea's selection
        onclick: () => actions[name](ta),
      }, h('span', { class: 'md-glyph', 'aria-hidden': 'true' }, glyph), h('span', { class: 'md-label' }, label));
    }));
  ta.addEventListener('keydown', (e) => {
    if (e.isComposing || e.keyCode === 229 || !(e.ctrlKey || e.metaKey) || e.altKey) return;
    const k = e.key.toLowerCase();
    const name = e.shiftKey ? SHIFT_KEYS[e.key] : KEYS[k];
    if (!name) return;
    e.preventDefault();
    actions[name](ta);
  });
  return bar;
}
