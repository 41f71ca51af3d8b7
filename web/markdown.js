// A tiny Markdown-to-DOM renderer for the editor preview. It never parses HTML: every piece of text
// goes in through text nodes, and raw HTML in the source shows up as literal text. The published view
// uses the server's sanitised rendering (pulldown-cmark + ammonia); this is only a fast preview.

import { h } from './dom.js';

const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[^:]*$)/i;

export function slug(text) {
  return String(text).trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s+/g, '-');
}

function inline(text) {
  const out = [];
  // tokens: `code`, **bold**, __bold__, *em*, _em_, ~~del~~, [text](url), ![alt](src), <autolink>
  const re = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^*\s][\s\S]*?)\*|~~([\s\S]+?)~~|!?\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)|<(https?:\/\/[^>\s]+)>/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(h('code', null, m[2]));
    else if (m[3] !== undefined) out.push(h('strong', null, inline(m[3])));
    else if (m[4] !== undefined) out.push(h('strong', null, inline(m[4])));
    else if (m[5] !== undefined) out.push(h('em', null, inline(m[5])));
    else if (m[6] !== undefined) out.push(h('del', null, inline(m[6])));
    else if (m[7] !== undefined) {
      const url = m[8];
      const isImg = m[0].startsWith('!');
      if (isImg) out.push(h('span', { class: 'md-img' }, '🖼 ', m[7] || url));
      else if (SAFE_URL.test(url)) out.push(h('a', { href: url, rel: 'noopener noreferrer nofollow', target: url.startsWith('#') ? null : '_blank' }, inline(m[7])));
      else out.push(m[7]);
    } else if (m[9]) out.push(h('a', { href: m[9], rel: 'noopener noreferrer nofollow', target: '_blank' }, m[9]));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  // hard line breaks inside paragraphs
  return out.flatMap((part) => {
    if (typeof part !== 'string' || !part.includes('\n')) return [part];
    const pieces = part.split('\n');
    return pieces.flatMap((p, i) => (i < pieces.length - 1 ? [p, h('br')] : [p]));
  });
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|')) s = s.slice(0, -1);
  return s.split('|').map((c) => c.trim());
}

/** Render Markdown source into a DocumentFragment. */
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  const isBlank = (l) => /^\s*$/.test(l);
  const startsBlock = (l) => /^(#{1,6}\s|```|~~~|>|\s*([-*+]|\d+[.)])\s|\s*(---+|\*\*\*+|___+)\s*$)/.test(l);
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) { i++; continue; }
    let m;
    if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      const level = m[1].length;
      frag.append(h('h' + level, { id: slug(m[2]) }, inline(m[2])));
      i++;
    } else if ((m = /^(```|~~~)\s*([\w+-]*)/.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && !lines[i].startsWith(fence)) body.push(lines[i++]);
      i++;
      frag.append(h('pre', null, h('code', { class: m[2] ? 'language-' + m[2] : null }, body.join('\n'))));
    } else if (/^\s*(---+|\*\*\*+|___+)\s*$/.test(line)) {
      frag.append(h('hr'));
      i++;
    } else if (line.startsWith('>')) {
      const body = [];
      while (i < lines.length && lines[i].startsWith('>')) body.push(lines[i++].replace(/^>\s?/, ''));
      const q = h('blockquote');
      q.append(renderMarkdown(body.join('\n')));
      frag.append(q);
    } else if ((m = /^\s*([-*+]|\d+[.)])\s+/.exec(line))) {
      const ordered = /\d/.test(m[1]);
      const list = h(ordered ? 'ol' : 'ul');
      while (i < lines.length && (m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]))) {
        let text = m[2];
        i++;
        while (i < lines.length && !isBlank(lines[i]) && /^\s{2,}\S/.test(lines[i]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) text += '\n' + lines[i++].trim();
        const task = /^\[([ xX])\]\s+(.*)$/s.exec(text);
        if (task) list.append(h('li', { class: 'task' }, h('input', { type: 'checkbox', checked: task[1] !== ' ', disabled: true }), ' ', inline(task[2])));
        else list.append(h('li', null, inline(text)));
      }
      frag.append(list);
    } else if (line.includes('|') && i + 1 < lines.length && /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      const head = splitRow(line);
      i += 2;
      const tbody = h('tbody');
      while (i < lines.length && lines[i].includes('|') && !isBlank(lines[i])) {
        tbody.append(h('tr', null, splitRow(lines[i++]).map((c) => h('td', null, inline(c)))));
      }
      frag.append(h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, head.map((c) => h('th', null, inline(c))))), tbody)));
    } else {
      const body = [line];
      i++;
      while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines[i])) body.push(lines[i++]);
      frag.append(h('p', null, inline(body.join('\n'))));
    }
  }
  return frag;
}

/** First "# " heading of a Markdown text, or null. */
export function firstHeading(src) {
  const m = /^#\s+(.+?)\s*#*\s*$/m.exec(String(src || ''));
  return m ? m[1].trim() : null;
}
