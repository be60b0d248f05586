// Notifications (issue 15): the browser's Notification API while the tab is
// hidden or out of focus, and the unread count in the page title. As in
// Session desktop (app-ui.md §8): muted conversations never notify, only the
// first message request ever notifies (with a generic text), what a
// notification shows is a setting (name and text / name only / nothing),
// and notifications are gathered for 2 s so a burst makes one.
import {h} from './dom.js';

const KEY_ON = 'notify';            // '0': off (default on, as Session)
const KEY_CONTENT = 'notify-content'; // 'all' | 'name' | 'none'
const KEY_REQUEST = 'notified-request';
const GATHER_MS = 2000;

export const CONTENT_CHOICES = [
  ['all', 'Name and content'],
  ['name', 'Name only'],
  ['none', 'No name or content'],
];

// enabled reports whether notifications are on in this browser.
export function enabled() {
  return localStorage.getItem(KEY_ON) !== '0';
}

// contentSetting is what a notification shows.
export function contentSetting() {
  const v = localStorage.getItem(KEY_CONTENT);
  return CONTENT_CHOICES.some(([k]) => k === v) ? v : 'all';
}

// unreadCount is the badge Session shows: the unread messages of the
// inbox's conversations that are not muted (a conversation marked unread
// counts one).
export function unreadCount(inbox) {
  let n = 0;
  for (const c of inbox || []) {
    if (c.muted || c.request) continue;
    n += c.unread > 0 ? c.unread : c.marked_unread ? 1 : 0;
  }
  return n;
}

// updateTitle puts the unread count in the page title: "(3) Session".
export function updateTitle(inbox) {
  const n = unreadCount(inbox);
  document.title = n ? `(${n > 99 ? '99+' : n}) Session` : 'Session';
  return n;
}

// away reports whether the user is not looking at the page.
function away() {
  return document.visibilityState === 'hidden' || !document.hasFocus();
}

// Notifier gathers incoming messages into notifications. lists() returns
// {inbox, requests} as /api/conversations does; nameOf(row) names a
// conversation; open(id) opens one (a click on a notification).
export class Notifier {
  constructor({lists, nameOf, open, gatherMs = GATHER_MS}) {
    this.lists = lists;
    this.gatherMs = gatherMs;
    this.nameOf = nameOf;
    this.open = open;
    this.pending = [];
    this.timer = 0;
    this.shown = null;
    this.count = 0; // messages notified since the user last looked
    document.addEventListener('visibilitychange', () => this.seen());
    window.addEventListener('focus', () => this.seen());
    // The browser asks for permission only in answer to a click: the
    // first one in the page does, while notifications are on.
    const ask = () => {
      document.removeEventListener('click', ask, true);
      if (enabled() && typeof Notification !== 'undefined' && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
    };
    document.addEventListener('click', ask, true);
  }

  // seen closes the notification and starts counting afresh once the user
  // is back.
  seen() {
    if (away()) return;
    this.count = 0;
    this.pending = [];
    this.shown?.close();
    this.shown = null;
  }

  // message takes an incoming message from the event stream.
  message(m) {
    if (!m || m.outgoing || m.kind === 'notice' || !enabled() || !away()) return; // a notice is not a message
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    this.pending.push(m);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.gatherMs);
  }

  async flush() {
    this.timer = 0;
    const ms = this.pending;
    this.pending = [];
    if (!ms.length || !away()) return;
    let lists;
    try {
      lists = await this.lists();
    } catch {
      return;
    }
    const rows = new Map([...(lists.inbox || []), ...(lists.requests || []).map((r) => ({...r, request: true}))]
      .map((r) => [r.session_id, r]));
    const wanted = [];
    let request = false;
    for (const m of ms) {
      const row = rows.get(m.conversation);
      if (!row || row.request) { request = true; continue; }
      if (row.muted) continue;
      wanted.push({m, row});
    }
    if (request && !localStorage.getItem(KEY_REQUEST)) {
      // Only the first request ever notifies, and says nothing of it.
      localStorage.setItem(KEY_REQUEST, '1');
      this.show('Session', 'You have a new message request', '');
    }
    if (!wanted.length) return;
    this.count += wanted.length;
    const {m, row} = wanted[wanted.length - 1];
    const name = this.nameOf(row);
    const text = preview(m);
    const n = this.count;
    const many = n === 1 ? '1 new message' : `${n} new messages`;
    switch (contentSetting()) {
      case 'all':
        if (n === 1) this.show(name, text, m.conversation);
        else this.show(many, `Most recent from ${name}: ${text}`, m.conversation);
        break;
      case 'name':
        this.show(many, `Most recent from ${name}`, m.conversation);
        break;
      default:
        this.show('Session', many, m.conversation);
    }
  }

  show(title, body, conversation) {
    try {
      this.shown?.close();
      const n = new Notification(title, {body, tag: 'session-messages', silent: true});
      n.onclick = () => {
        window.focus();
        n.close();
        if (conversation) this.open(conversation);
      };
      this.shown = n;
    } catch { /* the browser refused: nothing to show */ }
  }
}

// preview is the text a notification shows for m.
function preview(m) {
  const body = (m.body || '').replace(/\s+/g, ' ').trim();
  if (body) return body.length > 200 ? body.slice(0, 199) + '…' : body;
  return (m.attachments || []).length ? 'Attachment' : 'New message';
}

// settingsSection is the Notifications part of the settings page.
export function settingsSection() {
  const on = h('input', {type: 'checkbox', id: 'notify-on', role: 'switch', checked: enabled()});
  const content = h('select', {class: 'input', id: 'notify-content', 'data-testid': 'notify-content'},
    CONTENT_CHOICES.map(([v, label]) => h('option', {value: v}, label)));
  content.value = contentSetting();
  const note = h('p', {class: 'muted small', 'aria-live': 'polite'});
  const explain = () => {
    if (typeof Notification === 'undefined') note.textContent = 'This browser cannot show notifications.';
    else if (Notification.permission === 'denied') note.textContent = 'The browser blocks notifications for this page: allow them in its site settings.';
    else if (Notification.permission !== 'granted' && enabled()) note.textContent = 'The browser asks for permission the first time.';
    else note.textContent = 'Shown while this tab is hidden. Muted conversations stay silent.';
  };
  on.addEventListener('change', async () => {
    localStorage.setItem(KEY_ON, on.checked ? '1' : '0');
    if (on.checked && typeof Notification !== 'undefined' && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch { /* refused */ }
    }
    explain();
  });
  content.addEventListener('change', () => localStorage.setItem(KEY_CONTENT, content.value));
  // Preview shows what a message would look like with the chosen content.
  const preview = h('button', {class: 'btn ghost small', onclick: async () => {
    if (typeof Notification === 'undefined') return;
    if (Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch { /* refused */ }
      explain();
    }
    if (Notification.permission !== 'granted') return;
    const c = contentSetting();
    const [title, body] = c === 'all' ? ['Session', 'This is what a new message looks like']
      : c === 'name' ? ['1 new message', 'Most recent from Session'] : ['Session', '1 new message'];
    try { new Notification(title, {body, tag: 'session-preview', silent: true}); } catch { /* refused */ }
  }}, 'Preview notification');
  explain();
  return h('section', {class: 'section', 'aria-labelledby': 'notify-h'},
    h('h3', {id: 'notify-h'}, 'Notifications'),
    h('label', {class: 'check', for: 'notify-on'}, on, h('span', null, 'Show notifications')),
    h('div', {class: 'field'}, h('label', {for: 'notify-content'}, 'Notification content'), content),
    note, h('div', {class: 'row-actions'}, preview));
}
