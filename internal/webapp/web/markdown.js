// Markdown-lite for message bodies (a session-go extension, issue 15):
// **bold**, *italic* or _italic_, ~~strike~~, `inline code`, ``` code
// blocks ```, bare http(s) links and [text](https://…) links.
//
// The result is DOM nodes built with createElement and text nodes only:
// never innerHTML, so "<script>" in a message is those eight characters.
// A link's address must be http or https (anything else, javascript: above
// all, stays as the text it was), and opening it goes through the caller's
// link function (the app confirms the full address first).
//
// The parser is one pass over the text with a bounded stack of open
// markers, so a hostile message (thousands of unmatched or nested markers)
// costs linear time; markers that do not pair up stay as text.

// maxDepth bounds how deeply formatting nests; deeper markers stay text.
const maxDepth = 8;

// Sticky (y): they match at lastIndex only, so a scan never copies the text.
const URL_RE = /https?:\/\/[^\s<>"]{1,4000}/iy;
const LINK_RE = /\[([^[\]\n]{1,500})\]\(([^\s()]{1,2000})\)/y;
// A link address: http(s), without spaces, quotes, angle brackets or
// parentheses (which would end the markup).
const LINK_URL_RE = /^https?:\/\/[^\s<>"()]+$/i;
const TRAILING = /[.,;:!?)\]]+$/;

// safeURL returns url when it is an http(s) address, else ''.
export function safeURL(url) {
  return typeof url === 'string' && LINK_URL_RE.test(url) ? url : '';
}

function defaultLink(url, text) {
  const a = document.createElement('a');
  a.href = url;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.className = 'link';
  a.append(document.createTextNode(text));
  return a;
}

// renderMarkdown returns the nodes that show text. opts.link(url, text),
// when given, makes the anchor of a link (url is always http or https).
export function renderMarkdown(text, opts = {}) {
  const link = (url, label) => {
    const u = safeURL(url);
    if (!u) return document.createTextNode(label);
    const a = (opts.link || defaultLink)(u, label);
    return a instanceof Node ? a : document.createTextNode(label);
  };
  const out = [];
  for (const part of splitBlocks(String(text ?? ''))) {
    if (part.code) {
      const pre = document.createElement('pre');
      pre.className = 'md-pre';
      const code = document.createElement('code');
      code.append(document.createTextNode(part.text));
      pre.append(code);
      out.push(pre);
    } else if (part.text) {
      out.push(...inline(part.text, link));
    }
  }
  return out;
}

// splitBlocks cuts the text at fenced code blocks: a line starting with
// ``` opens one (the rest of that line, a language name, is dropped), the
// next line that is ``` closes it. An unclosed fence stays text.
function splitBlocks(text) {
  const parts = [];
  const lines = text.split('\n');
  let plain = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('```')) { plain.push(lines[i]); continue; }
    let end = -1;
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j].trimEnd() === '```') { end = j; break; }
    }
    // A one-line block: ```code```.
    const one = lines[i].length > 6 && lines[i].trimEnd().endsWith('```') ? lines[i].trimEnd().slice(3, -3) : null;
    if (end < 0 && one === null) {
      // No closing fence anywhere below: none of the later fences closes
      // either, so the rest is text.
      plain.push(...lines.slice(i));
      break;
    }
    if (plain.length) parts.push({text: plain.join('\n') + '\n'});
    plain = [];
    if (one !== null && (end < 0 || lines[i].trim().length > 3)) {
      parts.push({code: true, text: one});
      continue;
    }
    parts.push({code: true, text: lines.slice(i + 1, end).join('\n')});
    i = end;
  }
  if (plain.length) parts.push({text: plain.join('\n')});
  // A block ends the line: drop the newline that followed a fence.
  for (let k = 1; k < parts.length; k++) {
    if (parts[k - 1].code && !parts[k].code) parts[k].text = parts[k].text.replace(/^\n/, '');
  }
  for (let k = 0; k + 1 < parts.length; k++) {
    if (!parts[k].code && parts[k + 1].code) parts[k].text = parts[k].text.replace(/\n$/, '');
  }
  return parts;
}

const isSpace = (c) => c === undefined || /\s/.test(c);
const isWord = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

// tokens splits a line of text into text, code spans, links and marker
// runs, in one pass.
function tokens(s) {
  const toks = [];
  let text = '';
  const flush = () => { if (text) toks.push({t: 'text', s: text}); text = ''; };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        toks.push({t: 'code', s: s.slice(i + 1, end)});
        i = end + 1;
        continue;
      }
      if (end === i + 1) { text += '``'; i += 2; continue; }
      // No closing backtick: none later closes either.
      text += s.slice(i);
      break;
    }
    if (c === '[') {
      LINK_RE.lastIndex = i;
      const m = LINK_RE.exec(s);
      if (m) {
        flush();
        if (safeURL(m[2])) toks.push({t: 'link', s: m[1], url: m[2]});
        else toks.push({t: 'text', s: m[0]}); // javascript: and the like stay text
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && !isWord(s[i - 1])) {
      URL_RE.lastIndex = i;
      const m = URL_RE.exec(s);
      if (m) {
        const url = m[0].replace(TRAILING, '');
        flush();
        toks.push({t: 'link', s: url, url});
        i += url.length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      let n = 1;
      while (s[i + n] === c) n++;
      const before = s[i - 1], after = s[i + n];
      if (c === '~' && n !== 2) { text += s.slice(i, i + n); i += n; continue; }
      const len = c === '~' ? 2 : Math.min(n, 3);
      if (n > 3) { text += s.slice(i, i + n); i += n; continue; }
      let open = !isSpace(after);
      let close = !isSpace(before);
      if (c === '_') {
        // snake_case is not emphasis.
        open = open && !isWord(before);
        close = close && !isWord(after);
      }
      if (open || close) {
        flush();
        toks.push({t: 'mark', ch: c, n: len, open, close, s: s.slice(i, i + n)});
        i += n;
        continue;
      }
      text += s.slice(i, i + n);
      i += n;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return toks;
}

const TAGS = {'*1': ['em'], '_1': ['em'], '*2': ['strong'], '_2': ['strong'], '*3': ['strong', 'em'], '_3': ['strong', 'em'], '~2': ['s']};

// inline renders one run of text (no code blocks) into nodes.
function inline(s, link) {
  // Each frame is an open marker with what follows it so far.
  const root = {kids: []};
  const stack = [root];
  const top = () => stack[stack.length - 1];
  const leaf = (tok) => {
    switch (tok.t) {
      case 'text': return document.createTextNode(tok.s);
      case 'code': {
        const c = document.createElement('code');
        c.className = 'md-code';
        c.append(document.createTextNode(tok.s));
        return c;
      }
      case 'link': return link(tok.url, tok.s);
    }
    return document.createTextNode(tok.s || '');
  };
  for (const tok of tokens(s)) {
    if (tok.t !== 'mark') { top().kids.push(leaf(tok)); continue; }
    let k = -1;
    if (tok.close) {
      for (let j = stack.length - 1; j > 0; j--) {
        if (stack[j].ch === tok.ch && stack[j].n === tok.n) { k = j; break; }
      }
    }
    if (k > 0 && top().kids.length + (k < stack.length - 1 ? 1 : 0) > 0) {
      // Close frame k: the frames opened after it did not pair, so their
      // markers go back in as text.
      while (stack.length - 1 > k) {
        const f = stack.pop();
        top().kids.push(document.createTextNode(f.s), ...f.kids);
      }
      const f = stack.pop();
      let node = null;
      for (const tag of TAGS[f.ch + f.n].slice().reverse()) {
        const e = document.createElement(tag);
        if (node) e.append(node); else e.append(...f.kids);
        node = e;
      }
      top().kids.push(node);
      continue;
    }
    if (tok.open && stack.length <= maxDepth) {
      stack.push({ch: tok.ch, n: tok.n, s: tok.s, kids: []});
      continue;
    }
    top().kids.push(document.createTextNode(tok.s));
  }
  while (stack.length > 1) {
    const f = stack.pop();
    top().kids.push(document.createTextNode(f.s), ...f.kids);
  }
  return root.kids;
}
