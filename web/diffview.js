// Render a diff ({hunks:[{old_start,...,lines:[{op,text,words?}]}]}) into DOM, text only.

import { h } from './dom.js';
import { t } from './i18n.js';

function lineContent(line) {
  const code = h('span', { class: 'diff-text' });
  if (Array.isArray(line.words) && line.words.length) {
    for (const w of line.words) {
      if (w.op === 'delete') code.append(h('del', null, w.text));
      else if (w.op === 'insert') code.append(h('ins', null, w.text));
      else code.append(document.createTextNode(w.text));
    }
  } else {
    code.append(document.createTextNode(line.text ?? ''));
  }
  if (!code.textContent) code.append(document.createTextNode('\u00a0'));
  return code;
}

/** Parse a unified diff string into hunks (fallback when the server sends no hunks). */
export function parseUnified(text) {
  const hunks = [];
  let cur = null;
  for (const raw of String(text || '').split('\n')) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(raw);
    if (m) {
      cur = { old_start: +m[1], old_lines: +(m[2] ?? 1), new_start: +m[3], new_lines: +(m[4] ?? 1), lines: [] };
      hunks.push(cur);
    } else if (cur && !raw.startsWith('\\')) {
      if (raw.startsWith('+++') || raw.startsWith('---')) continue;
      const op = raw[0] === '+' ? 'insert' : raw[0] === '-' ? 'delete' : 'equal';
      cur.lines.push({ op, text: raw.slice(1) });
    }
  }
  return hunks;
}

export function diffStats(diff) {
  let added = 0, removed = 0;
  for (const hk of diff.hunks || []) for (const l of hk.lines || []) {
    if (l.op === 'insert') added++; else if (l.op === 'delete') removed++;
  }
  return { added, removed };
}

/** A diff table. Returns an element; empty diffs say so. */
export function renderDiff(diff) {
  let hunks = diff && Array.isArray(diff.hunks) ? diff.hunks : [];
  if (!hunks.length && diff && diff.unified) hunks = parseUnified(diff.unified);
  const { added, removed } = diffStats({ hunks });
  const wrap = h('div', { class: 'diff' });
  if (!hunks.length || (!added && !removed)) {
    wrap.append(h('p', { class: 'diff-empty' }, t('history.noChanges')));
    return wrap;
  }
  wrap.append(h('div', { class: 'diff-stats' },
    h('span', { class: 'diff-stat-add' }, t('diff.added', { n: added })),
    h('span', { class: 'diff-stat-del' }, t('diff.removed', { n: removed }))));
  const table = h('table', { class: 'diff-table' });
  for (const hk of hunks) {
    table.append(h('tbody', { class: 'diff-hunk' },
      h('tr', { class: 'diff-hunk-head' }, h('td', { colspan: 3 }, `@@ -${hk.old_start},${hk.old_lines} +${hk.new_start},${hk.new_lines} @@`))));
    const body = h('tbody');
    let o = hk.old_start, n = hk.new_start;
    for (const line of hk.lines || []) {
      const op = line.op === 'insert' || line.op === 'delete' ? line.op : 'equal';
      const oldNo = op === 'insert' ? '' : o++;
      const newNo = op === 'delete' ? '' : n++;
      body.append(h('tr', { class: 'diff-line diff-' + op },
        h('td', { class: 'diff-no' }, String(oldNo)),
        h('td', { class: 'diff-no' }, String(newNo)),
        h('td', { class: 'diff-code' },
          h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, op === 'insert' ? '+' : op === 'delete' ? '−' : ' '),
          lineContent(line))));
    }
    table.append(body);
  }
  wrap.append(h('div', { class: 'diff-scroll' }, table));
  return wrap;
}
