// DOM helpers. Everything the app shows is built with these: strings always
// become text nodes, never HTML, so a message like <img onerror=…> is shown
// as the characters it is.

const SVG = 'http://www.w3.org/2000/svg';

// h builds an element: h('button', {class: 'btn', onclick: f}, 'Send').
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Icon paths (24×24, stroked), drawn with SVG DOM calls.
const ICONS = {
  plus: ['M12 5v14', 'M5 12h14'],
  back: ['M15 18l-6-6 6-6'],
  send: ['M4 12l16-8-6 16-3-7-7-1z'],
  copy: ['M9 9h10v10H9z', 'M5 15V5h10'],
  people: ['M16 19v-1a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4v1', 'M9.5 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M21 19v-1a4 4 0 0 0-3-3.8', 'M16 4.2a3 3 0 0 1 0 5.6'],
  gear: ['M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z'],
  inbox: ['M4 4h16v12H14l-2 3-2-3H4z'],
  more: ['M12 6h.01', 'M12 12h.01', 'M12 18h.01'],
  group: ['M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M3 19v-1a4 4 0 0 1 4-4h4a4 4 0 0 1 4 4v1', 'M19 8v6', 'M16 11h6'],
};

// icon returns a decorative SVG icon (hidden from screen readers).
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] || []) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

// replace swaps el's children for the given ones.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// toast shows a short message at the top, away from the composer.
export function toast(text, bad = false) {
  const box = document.getElementById('toasts');
  const t = h('div', {class: bad ? 'toast bad' : 'toast'}, text);
  box.append(t);
  setTimeout(() => t.remove(), bad ? 6000 : 2500);
}

// copyText copies to the clipboard and says so.
export async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`);
  } catch {
    toast(`Could not copy: select the text and copy it by hand`, true);
  }
}

// avatar is a round initial, coloured from the Session ID.
export function avatar(name, id, small) {
  const n = parseInt((id || '00').slice(-2), 16) % 7;
  const letter = (name || id || '?').trim().charAt(0) || '?';
  return h('span', {class: `avatar ${small ? 'small' : ''} c${n}`, 'aria-hidden': 'true'}, id && id.startsWith('05') && !name ? '#' : letter);
}

// shortID is how Session shows an ID without a name: 05ab…cdef.
export function shortID(id) {
  return id ? `${id.slice(0, 6)}…${id.slice(-4)}` : '';
}

const timeFmt = new Intl.DateTimeFormat(undefined, {hour: 'numeric', minute: '2-digit'});
const dayFmt = new Intl.DateTimeFormat(undefined, {weekday: 'short'});
const dateFmt = new Intl.DateTimeFormat(undefined, {month: 'short', day: 'numeric', year: 'numeric'});
const fullFmt = new Intl.DateTimeFormat(undefined, {dateStyle: 'full', timeStyle: 'short'});

// listTime is a conversation row's time: the time today, the weekday within
// a week, else the date.
export function listTime(iso) {
  const d = new Date(iso);
  if (isNaN(d) || d.getFullYear() < 2000) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  if (now - d < 6 * 86400e3 && now - d > 0) return dayFmt.format(d);
  return dateFmt.format(d);
}

export function msgTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : timeFmt.format(d);
}

export function fullTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : fullFmt.format(d);
}

export function dayLabel(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return 'Yesterday';
  return dateFmt.format(d);
}
