// Conversation features of issue 15 that app.js calls through small hooks:
// disappearing messages (Session's timer choices, the notice of a change,
// a countdown on each disappearing message), typing indicators, the
// privacy switches (read receipts, typing), pins, mutes and hiding, Note to
// Self, and editing a sent message (a session-go extension).
import {h, replace, toast, fullTime} from './dom.js';

// A is what app.js hands over: {S, api, dialog, reload, refresh, displayName,
// openConversation}.
let A = null;

// initConvo wires the module to the app.
export function initConvo(app) {
  A = app;
  loadPrivacy();
  setInterval(tickTimers, 30_000);
}

// ---------- disappearing messages ----------

// Session's choices (session/disappearing_messages/timerOptions.ts, via
// app-ui.md §4.1), in seconds, with the default of each mode.
export const TIMERS = {
  read: [300, 3600, 43200, 86400, 604800, 1209600],
  send: [43200, 86400, 604800, 1209600],
};
const DEFAULT_TIMER = {read: 43200, send: 86400};

// durationLabel names a timer the way Session's picker does.
export function durationLabel(secs) {
  const units = [[604800, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [n, name] of units) {
    if (secs >= n && secs % n === 0) {
      const k = secs / n;
      return `${k} ${name}${k === 1 ? '' : 's'}`;
    }
  }
  return `${secs} seconds`;
}

// shortLeft is a countdown: "23h", "4m", "12s", "6d".
function shortLeft(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 86400) return `${Math.floor(s / 86400)}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}

// disappearingText describes a setting in a sentence.
export function disappearingText(d) {
  if (!d || d.mode === 'off' || !d.seconds) return 'Disappearing messages are off';
  return `Messages disappear ${durationLabel(d.seconds)} after they are ${d.mode === 'read' ? 'read' : 'sent'}`;
}

const isSelf = (c) => c && c.session_id === A.S.state?.account?.session_id;

// subtitle is the conversation header's state line: the timer and the
// notification state, as Session's header carousel shows them.
export function subtitle(c) {
  const parts = [];
  const d = c.disappearing;
  if (d && d.mode !== 'off' && d.seconds) parts.push(`⏱ ${durationLabel(d.seconds)} after ${d.mode === 'read' ? 'read' : 'send'}`);
  if (c.muted) parts.push('Muted');
  if (c.pinned) parts.push('Pinned');
  return parts.join(' · ');
}

// subtitleEl is the header's state line; a click opens the matching
// setting (the timer, else notifications), as in Session's header.
export function subtitleEl(c) {
  const text = subtitle(c);
  if (!text) return null;
  const timer = c.disappearing && c.disappearing.mode !== 'off';
  return h('button', {class: 'sub sub-btn', 'data-testid': 'conv-state', title: timer ? 'Disappearing messages' : 'Notifications',
    onclick: () => (timer ? disappearingDialog(c) : isSelf(c) ? null : muteDialog(c))}, text);
}

// headKey changes whenever subtitle would.
export function headKey(c) {
  return JSON.stringify([c.disappearing, c.muted, c.pinned]);
}

// placeNotice shows the latest timer change in the message list, at its
// time, on both sides of the conversation.
export function placeNotice(list, c) {
  if (!list) return;
  list.querySelectorAll('li.notice').forEach((n) => n.remove());
  const d = c.disappearing;
  if (!d || !d.updated) return;
  const at = new Date(d.updated);
  const text = d.mode === 'off' || !d.seconds
    ? 'Disappearing messages were turned off'
    : `Disappearing messages were set to ${durationLabel(d.seconds)} after ${d.mode === 'read' ? 'read' : 'send'}`;
  const li = h('li', {class: 'notice', 'data-testid': 'timer-notice', title: fullTime(d.updated)}, '⏱ ', text);
  const sent = new Map(c.messages.map((m) => [String(m.id), new Date(m.sent_at)]));
  for (const m of list.querySelectorAll('li.msg')) {
    const t = sent.get(m.dataset.mid);
    if (t && t > at) { m.before(li); return; }
  }
  list.append(li);
}

// timerMark is the countdown on a disappearing message.
function timerMark(m) {
  if (!m.expires_at) return null;
  const at = new Date(m.expires_at);
  if (isNaN(at)) return null;
  return h('span', {class: 'timer-mark', 'data-testid': 'timer-mark', 'data-expires': m.expires_at,
    title: `Disappears ${fullTime(m.expires_at)}`, 'aria-label': `Disappears in ${shortLeft(at - Date.now())}`},
  `⏱ ${shortLeft(at - Date.now())}`);
}

function tickTimers() {
  for (const e of document.querySelectorAll('[data-expires]')) {
    const left = shortLeft(new Date(e.dataset.expires) - Date.now());
    e.textContent = `⏱ ${left}`;
    e.setAttribute('aria-label', `Disappears in ${left}`);
  }
}

// disappearingDialog is Session's Disappearing Messages page: Off, After
// read or After send, each with its timers, and Set.
export function disappearingDialog(c) {
  const cur = c.disappearing || {mode: 'off', seconds: 0};
  let mode = cur.mode || 'off';
  let secs = cur.seconds || 0;
  const timers = h('fieldset', {class: 'choices', 'data-testid': 'timer-choices'});
  const modeBox = h('fieldset', {class: 'choices'}, h('legend', null, 'Delete type'),
    [['off', 'Off'], ['read', 'Disappear after read'], ['send', 'Disappear after send']].map(([v, label]) =>
      h('label', null, h('input', {type: 'radio', name: 'dm-mode', value: v, checked: v === mode,
        onchange: () => { mode = v; secs = v === cur.mode ? cur.seconds : DEFAULT_TIMER[v] || 0; showTimers(); }}), label)));
  function showTimers() {
    if (mode === 'off') { replace(timers); timers.hidden = true; return; }
    timers.hidden = false;
    replace(timers, h('legend', null, 'Timer'), TIMERS[mode].map((t) =>
      h('label', null, h('input', {type: 'radio', name: 'dm-timer', value: String(t), checked: t === secs,
        onchange: () => { secs = t; }}), durationLabel(t))));
  }
  showTimers();
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const d = A.dialog('Disappearing messages', h('div', null,
    h('p', {class: 'muted small'}, 'This setting applies to everyone in this conversation.'), modeBox, timers, err), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', onclick: async () => {
      try {
        await A.api('POST', `conversations/${c.session_id}/disappearing`, {mode, seconds: mode === 'off' ? 0 : secs});
        d.close();
        toast(mode === 'off' ? 'Disappearing messages turned off' : `Messages now disappear ${durationLabel(secs)} after ${mode === 'read' ? 'read' : 'send'}`);
        await A.reload();
      } catch (e) {
        err.textContent = e.message;
      }
    }}, 'Set'),
  ]);
}

// ---------- typing ----------

const privacy = {read_receipts: false, typing_indicators: false};

async function loadPrivacy() {
  try {
    Object.assign(privacy, await A.api('GET', 'privacy'));
  } catch { /* before onboarding: both off */ }
}

// Sending, as Session does (models/conversation.ts bumpTyping): keystrokes
// are taken at most every 300 ms; the first sends "started", which is
// sent again every 10 s while typing goes on; 10 s without a keystroke
// sends "stopped".
const outTyping = new Map(); // conversation → {refresh, pause, last}

function sendTyping(id, typing) {
  A.api('POST', `conversations/${id}/typing`, {typing}).catch(() => {});
}

function stopTimers(id) {
  const t = outTyping.get(id);
  if (!t) return null;
  clearInterval(t.refresh);
  clearTimeout(t.pause);
  outTyping.delete(id);
  return t;
}

// typingInput takes the composer's text after a keystroke.
export function typingInput(id, text) {
  if (!privacy.typing_indicators || !id || id === A.S.state?.account?.session_id) return;
  if (!text.trim()) {
    if (stopTimers(id)) sendTyping(id, false);
    return;
  }
  let t = outTyping.get(id);
  const now = Date.now();
  if (t && now - t.last < 300) return;
  if (!t) {
    t = {last: now};
    outTyping.set(id, t);
    sendTyping(id, true);
    t.refresh = setInterval(() => sendTyping(id, true), 10_000);
  }
  t.last = now;
  clearTimeout(t.pause);
  t.pause = setTimeout(() => { stopTimers(id); sendTyping(id, false); }, 10_000);
}

// typingSent is called when a message goes out: the peer's indicator ends
// with the message, as in Session (no "stopped" is sent).
export function typingSent(id) {
  stopTimers(id);
}

// Receiving: "started" shows "typing…" for 15 s unless refreshed; "stopped"
// or a message from them ends it.
const inTyping = new Map(); // conversation → timeout
let typingBox = null;

// typingEl is the line under the messages that says the peer is typing.
export function typingEl() {
  typingBox = h('div', {class: 'typing', 'aria-live': 'polite', 'data-testid': 'typing'});
  showTyping();
  return typingBox;
}

function showTyping() {
  if (!typingBox) return;
  const c = A.S.conv;
  const on = c && A.S.mainView === 'conversation' && inTyping.has(c.session_id);
  typingBox.textContent = on ? `${A.displayName(c)} is typing…` : '';
}

function setTyping(id, on) {
  clearTimeout(inTyping.get(id));
  if (on) inTyping.set(id, setTimeout(() => { inTyping.delete(id); showTyping(); }, 15_000));
  else inTyping.delete(id);
  showTyping();
}

// typingEvent takes the stream's "typing" event. As in Session, the
// switch is both ways: with it off, others' typing is not shown either.
export function typingEvent(ev) {
  if (!privacy.typing_indicators) return;
  if (ev && typeof ev.conversation === 'string') setTyping(ev.conversation, !!ev.typing);
}

// messageArrived ends the sender's indicator.
export function messageArrived(m) {
  if (m && !m.outgoing && inTyping.has(m.conversation)) setTyping(m.conversation, false);
}

// privacySwitches are the settings page's read receipts and typing
// indicators switches: off until turned on, as in Session.
export function privacySwitches() {
  const row = (key, id, label, help) => {
    const box = h('input', {type: 'checkbox', id, role: 'switch', disabled: true, 'data-testid': id});
    A.api('GET', 'privacy').then((st) => { Object.assign(privacy, st); box.checked = !!st[key]; box.disabled = false; }).catch(() => {});
    box.addEventListener('change', async () => {
      try {
        Object.assign(privacy, await A.api('POST', 'privacy', {[key]: box.checked}));
      } catch (e) {
        box.checked = !box.checked;
        toast(e.message, true);
      }
    });
    return h('label', {class: 'check', for: id}, box,
      h('span', null, label, h('br'), h('span', {class: 'muted small'}, help)));
  };
  return h('div', {class: 'section'},
    row('read_receipts', 'read-receipts', 'Read receipts', 'Tell people when you have read their messages, and see when they read yours (when they share it too).'),
    row('typing_indicators', 'typing-indicators', 'Typing indicators', 'Show when you are typing, and see when others are.'));
}

// ---------- pins, mutes, hide, Note to Self ----------

// rowMarks are the conversation row's pinned and muted marks.
export function rowMarks(c) {
  if (!c.pinned && !c.muted) return null;
  return h('span', {class: 'marks'},
    c.pinned ? h('span', {title: 'Pinned', 'aria-label': 'Pinned', 'data-testid': 'pinned'}, '📌') : null,
    c.muted ? h('span', {title: c.muted_until ? `Muted until ${fullTime(c.muted_until)}` : 'Muted', 'aria-label': 'Muted', 'data-testid': 'muted'}, '🔕') : null);
}

// noteToSelfName is how Session names the conversation with oneself.
export const noteToSelfName = 'Note to Self';

// selfName returns "Note to Self" for this account's own conversation.
export function selfName(c) {
  return isSelf(c) ? noteToSelfName : '';
}

// noteToSelfEntry opens Note to Self from New message.
export function noteToSelfEntry() {
  const me = A.S.state?.account?.session_id;
  if (!me) return null;
  return h('div', {class: 'section'}, h('h3', null, 'Note to Self'),
    h('button', {class: 'item', 'data-testid': 'note-to-self', onclick: () => A.openConversation(me, true)},
      h('span', {class: 'avatar', 'aria-hidden': 'true'}, '✎'),
      h('span', {class: 'body'}, h('span', {class: 'title'}, noteToSelfName),
        h('span', {class: 'preview'}, 'Messages to yourself, on all your devices'))));
}

async function post(path, body, done) {
  try {
    await A.api('POST', path, body);
    if (done) toast(done);
    A.refresh();
  } catch (e) {
    toast(e.message, true);
  }
}

const MUTES = [[3600, 'For 1 hour'], [8 * 3600, 'For 8 hours'], [86400, 'For 1 day'], [7 * 86400, 'For 1 week'], [-1, 'Until I turn it back on']];

function muteDialog(c) {
  let secs = c.muted ? -2 : 0; // -2: leave as it is
  const box = h('fieldset', {class: 'choices'}, h('legend', null, 'Notifications'),
    h('label', null, h('input', {type: 'radio', name: 'mute', checked: !c.muted, onchange: () => { secs = 0; }}), 'All messages'),
    MUTES.map(([s, label]) => h('label', null, h('input', {type: 'radio', name: 'mute', onchange: () => { secs = s; }}), `Mute ${label.toLowerCase()}`)));
  const d = A.dialog('Notifications', box, [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', onclick: () => {
      d.close();
      if (secs === -2 || (!c.muted && secs === 0)) return;
      post(`conversations/${c.session_id}/mute`, {seconds: secs}, secs ? 'Muted' : 'Notifications on');
    }}, 'Set'),
  ]);
}

// hidden reports whether c, open from Contacts or New message, has
// messages but is not in the list: a hidden conversation.
function hidden(c) {
  return (c.messages || []).length > 0 && !A.S.inbox.some((x) => x.session_id === c.session_id);
}

// menuItems are the conversation menu's entries for these features
// (close closes the menu first). inRow leaves out what belongs to the open
// conversation (the timer). Note to Self is pinned and hidden like the
// others but has no timer or notifications (as in Session).
export function menuItems(c, close, inRow) {
  if (c.request || c.blocked) return [];
  const self = isSelf(c);
  const id = c.session_id;
  return [
    self || inRow ? null : h('button', {class: 'btn ghost', onclick: () => { close(); disappearingDialog(c); }}, 'Disappearing messages'),
    h('button', {class: 'btn ghost', onclick: () => { close(); post(`conversations/${id}/pin`, {pinned: !c.pinned}, c.pinned ? 'Unpinned' : 'Pinned'); }}, c.pinned ? 'Unpin' : 'Pin'),
    self ? null : h('button', {class: 'btn ghost', onclick: () => { close(); muteDialog(c); }}, c.muted ? 'Notifications (muted)' : 'Notifications'),
    hidden(c)
      ? h('button', {class: 'btn ghost', onclick: () => { close(); post(`conversations/${id}/hide`, {hidden: false}, 'Shown in your conversations'); }}, 'Show in conversations')
      : h('button', {class: 'btn ghost', onclick: () => { close(); post(`conversations/${id}/hide`, {hidden: true}, self ? 'Hidden until your next note' : 'Hidden until the next message'); if (A.S.openID === id) A.close(); }},
        self ? 'Hide Note to Self' : 'Hide conversation'),
  ].filter(Boolean);
}

// rowMenu is a conversation row's menu (right-click, or the context-menu
// key): mark read or unread, pin, notifications, hide, as Session's rows.
export function rowMenu(c) {
  const unread = c.unread > 0 || c.marked_unread;
  const id = c.session_id;
  const d = A.dialog(A.displayName(c), h('div', {class: 'menu-list'},
    h('button', {class: 'btn ghost', onclick: () => { d.close(); if (!unread) A.cancelRead(id); if (!unread && A.S.openID === id) A.close(); post(`conversations/${id}/${unread ? 'read' : 'unread'}`, {}, unread ? 'Marked read' : 'Marked unread'); }},
      unread ? 'Mark read' : 'Mark unread'),
    menuItems(c, () => d.close(), true)), [
    h('button', {class: 'btn primary', onclick: () => d.close()}, 'Close'),
  ]);
}

// ---------- edits ----------

const EDIT_WINDOW_MS = 15 * 60 * 1000;

// canEdit: this account's delivered message, sent less than 15 minutes ago.
function canEdit(m) {
  return m.outgoing && typeof m.id === 'number' && !m.deleted && (m.status === 'sent' || m.status === 'read') &&
    Date.now() - new Date(m.sent_at) < EDIT_WINDOW_MS && !(m.attachments || []).length;
}

// editButton is the message's Edit action, while it can be edited.
export function editButton(m) {
  if (!canEdit(m)) return null;
  return h('button', {class: 'act', 'aria-label': 'Edit', title: 'Edit (within 15 minutes of sending)', onclick: () => editDialog(m)}, '✎');
}

function editDialog(m) {
  const ta = h('textarea', {class: 'input', rows: '4', 'aria-label': 'Edited message', 'data-testid': 'edit-text'});
  ta.value = m.body || '';
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const d = A.dialog('Edit message', h('div', null, ta,
    h('p', {class: 'muted small'}, 'People using Session (not session-go) see the edit as a new message replying to this one.'), err), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', onclick: async () => {
      if (!ta.value.trim() || ta.value === m.body) { d.close(); return; }
      try {
        await A.api('POST', `messages/${m.id}/edit`, {body: ta.value});
        d.close();
        await A.reload();
      } catch (e) {
        err.textContent = e.message;
      }
    }}, 'Save'),
  ]);
  ta.focus();
}

// metaMarks are the marks in a message's meta line: its countdown and
// "edited".
export function metaMarks(m) {
  return [timerMark(m),
    m.edited ? h('span', {class: 'edited', 'data-testid': 'edited', title: m.edited_at ? `Edited ${fullTime(m.edited_at)}` : 'Edited'}, 'edited') : null];
}
