// Pure text diff (no DOM), used for the editor's conflict view when the server is not asked.
// Produces the same shape as the server's /diff: {hunks:[{old_start,old_lines,new_start,new_lines,
// lines:[{op,text,words?}]}]}. Word-level marks use Intl.Segmenter, which segments Chinese into words.

function lcsOps(a, b, eq = (x, y) => x === y) {
  // Trim common prefix/suffix, then LCS by dynamic programming (bounded size).
  let start = 0;
  while (start < a.length && start < b.length && eq(a[start], b[start])) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && eq(a[endA - 1], b[endB - 1])) { endA--; endB--; }
  const ops = [];
  for (let i = 0; i < start; i++) ops.push(['equal', a[i], b[i]]);
  const A = a.slice(start, endA), B = b.slice(start, endB);
  const n = A.length, m = B.length;
  if (n * m > 4_000_000) {
    for (const x of A) ops.push(['delete', x]);
    for (const y of B) ops.push(['insert', y]);
  } else {
    const w = m + 1;
    const dp = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i * w + j] = eq(A[i], B[j]) ? dp[(i + 1) * w + j + 1] + 1 : Math.max(dp[(i + 1) * w + j], dp[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (eq(A[i], B[j])) { ops.push(['equal', A[i], B[j]]); i++; j++; }
      else if (dp[(i + 1) * w + j] >= dp[i * w + j + 1]) { ops.push(['delete', A[i]]); i++; }
      else { ops.push(['insert', B[j]]); j++; }
    }
    while (i < n) ops.push(['delete', A[i++]]);
    while (j < m) ops.push(['insert', B[j++]]);
  }
  for (let i = endA, j = endB; i < a.length; i++, j++) ops.push(['equal', a[i], b[j]]);
  return ops;
}

let segmenter = null;
function words(s) {
  try {
    if (!segmenter && typeof Intl !== 'undefined' && Intl.Segmenter) segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
  } catch { segmenter = null; }
  if (segmenter) return Array.from(segmenter.segment(s), (x) => x.segment);
  return s.split(/(\s+|[\u3000-\u303f\uff00-\uffef]|[\u4e00-\u9fff])/).filter(Boolean);
}

export function wordDiff(oldText, newText) {
  const ops = lcsOps(words(oldText), words(newText));
  const out = [];
  for (const [op, text] of ops) {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text; else out.push({ op, text });
  }
  return out;
}

function splitLines(s) {
  if (!s) return [];
  const lines = s.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Diff two texts into hunks with `context` lines around changes. */
export function diffTexts(oldText, newText, context = 3) {
  const ops = lcsOps(splitLines(oldText), splitLines(newText));
  // Pair runs of deletes followed by inserts to mark words.
  const lines = [];
  let oldNo = 1, newNo = 1;
  for (let k = 0; k < ops.length;) {
    if (ops[k][0] === 'equal') { lines.push({ op: 'equal', text: ops[k][1], o: oldNo++, n: newNo++ }); k++; continue; }
    const dels = [], ins = [];
    while (k < ops.length && ops[k][0] === 'delete') dels.push(ops[k++][1]);
    while (k < ops.length && ops[k][0] === 'insert') ins.push(ops[k++][1]);
    const pairs = Math.min(dels.length, ins.length);
    const delLines = dels.map((text) => ({ op: 'delete', text, o: oldNo++ }));
    const insLines = ins.map((text) => ({ op: 'insert', text, n: newNo++ }));
    for (let p = 0; p < pairs; p++) {
      const wd = wordDiff(dels[p], ins[p]);
      delLines[p].words = wd.filter((w) => w.op !== 'insert');
      insLines[p].words = wd.filter((w) => w.op !== 'delete');
    }
    lines.push(...delLines, ...insLines);
  }
  const hunks = [];
  let cur = null, lastChange = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].op === 'equal') continue;
    const from = Math.max(0, i - context);
    if (cur && from <= lastChange + context + 1) {
      for (let j = cur.end; j <= i; j++) cur.lines.push(lines[j]);
    } else {
      if (cur) close(cur);
      cur = { start: from, lines: lines.slice(from, i + 1) };
    }
    cur.end = i + 1;
    lastChange = i;
  }
  if (cur) close(cur);
  function close(hk) {
    const tail = lines.slice(hk.end, Math.min(lines.length, hk.end + context));
    hk.lines.push(...tail);
    const first = hk.lines[0];
    const oldLines = hk.lines.filter((l) => l.op !== 'insert').length;
    const newLines = hk.lines.filter((l) => l.op !== 'delete').length;
    const oldStart = first.o || (hk.lines.find((l) => l.o) || {}).o || 0;
    const newStart = first.n || (hk.lines.find((l) => l.n) || {}).n || 0;
    hunks.push({
      old_start: oldStart, old_lines: oldLines, new_start: newStart, new_lines: newLines,
      lines: hk.lines.map(({ op, text, words: w }) => (w ? { op, text, words: w } : { op, text })),
    });
  }
  return { hunks };
}
