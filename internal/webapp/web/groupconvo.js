// The conversation features in a group (issue 15 in groups, as Session's
// groups have them): each message's quote, reactions per member and
// actions (Reply, React, Delete for me or for everyone, Edit), and the
// reply bar of the group's composer. groups.js calls in through a few
// hooks; the calls are the app's own (POST messages/{id}/react, delete,
// edit; a group send with "reply_to"). A member deletes only its own
// messages for everyone, an admin anyone's (the client checks it again).
import {h, replace, toast} from './dom.js';
import * as convo from './convo.js';

const REACTIONS = ['😂', '🥰', '😢', '😡', '😮', '😈'];

// A is what groups.js lends: api, dialog, me() (this account's Session
// ID), nameOf(id), isAdmin(), reload() (reads the group again),
// composer() (its textarea) and list() (the open group's message list).
let A = null;

// reply is the message the composer replies to: {gid, m}, or null.
let reply = null;

export function initGroupConvo(app) {
  A = app;
}

function whoName(id) {
  return id === A.me() ? 'You' : A.nameOf(id);
}

// jumpTo scrolls to message id and highlights it; the reply gets a way back.
function jumpTo(id, from) {
  const li = id && A.list()?.querySelector(`li.msg[data-mid="${id}"]`);
  if (!li) { toast('The original message is not on this device.', true); return; }
  li.scrollIntoView({block: 'center'});
  li.classList.add('flash');
  setTimeout(() => li.classList.remove('flash'), 1500);
  if (from && !li.querySelector('.back')) {
    const back = h('button', {class: 'act back', onclick: () => { back.remove(); jumpTo(from); }}, 'Back to the reply');
    li.append(back);
  }
}

// marks are a message's marks in its meta line (its countdown, "edited").
export function marks(m) {
  return convo.metaMarks(m);
}

// quoteEl shows the message m replies to, as this device has it.
export function quoteEl(m) {
  const q = m.quote;
  if (!q || m.deleted) return null;
  return h('button', {class: 'quote', 'data-testid': 'quote', title: 'Show the original', onclick: () => jumpTo(q.id, m.id)},
    h('strong', null, whoName(q.from)), h('span', null, q.id ? q.body : 'Original message not found'));
}

// reactionsEl shows m's reactions, one count per emoji with who reacted.
export function reactionsEl(m) {
  const by = new Map();
  for (const r of m.reactions || []) by.set(r.emoji, [...(by.get(r.emoji) || []), r.from]);
  if (!by.size) return null;
  return h('div', {class: 'reactions', 'data-testid': 'reactions'}, [...by].map(([emoji, froms]) => {
    const mine = froms.includes(A.me());
    return h('button', {class: `reaction ${mine ? 'mine' : ''}`, title: froms.map(whoName).join(', '),
      'aria-label': `${emoji} ${froms.length}: ${froms.map(whoName).join(', ')}`, onclick: () => react(m, emoji, mine)}, `${emoji} ${froms.length}`);
  }));
}

// actionsEl is a delivered message's actions.
export function actionsEl(m) {
  if (typeof m.id !== 'number' || m.deleted || m.status === 'sending' || m.status === 'failed') return null;
  return h('span', {class: 'msg-actions'},
    h('button', {class: 'act', 'aria-label': 'Reply', title: 'Reply', onclick: () => startReply(m)}, '↩'),
    h('button', {class: 'act', 'aria-label': 'React', title: 'React', onclick: () => pickReaction(m)}, '☺'),
    h('button', {class: 'act', 'aria-label': 'Delete', title: 'Delete', onclick: () => deleteMessage(m)}, '🗑'),
    editButton(m));
}

const EDIT_WINDOW_MS = 15 * 60 * 1000;

// editButton is the Edit action of this account's delivered text message
// for 15 minutes after it was sent (the app's 1:1 one reloads the 1:1
// view, so a group has its own).
function editButton(m) {
  if (!m.outgoing || (m.status !== 'sent' && m.status !== 'read') || Date.now() - new Date(m.sent_at) >= EDIT_WINDOW_MS ||
    (m.attachments || []).length) return null;
  return h('button', {class: 'act', 'aria-label': 'Edit', title: 'Edit (within 15 minutes of sending)', onclick: () => editDialog(m)}, '✎');
}

function editDialog(m) {
  const ta = h('textarea', {class: 'input', rows: '4', 'aria-label': 'Edited message', 'data-testid': 'edit-text'});
  ta.value = m.body || '';
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const d = A.dialog('Edit message', h('div', null, ta,
    h('p', {class: 'muted small'}, 'Members using Session (not session-go) see the edit as a new message replying to this one.'), err), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', onclick: async () => {
      if (!ta.value.trim() || ta.value === m.body) { d.close(); return; }
      try {
        await A.api('POST', `messages/${m.id}/edit`, {body: ta.value});
        d.close();
        A.reload();
      } catch (e) {
        err.textContent = e.message;
      }
    }}, 'Save'),
  ]);
  ta.focus();
}

function pickReaction(m) {
  const d = A.dialog('React', h('div', {class: 'emoji-row'}, REACTIONS.map((e) =>
    h('button', {class: 'emoji', 'aria-label': e, onclick: () => { d.close(); react(m, e, false); }}, e))),
  [h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel')]);
}

async function react(m, emoji, remove) {
  try {
    await A.api('POST', `messages/${m.id}/react`, {emoji, remove});
  } catch (e) { toast(e.message, true); }
  A.reload();
}

function deleteMessage(m) {
  const everyone = m.outgoing || A.isAdmin();
  let choice = '';
  const d = A.dialog('Delete message', h('p', null, everyone
    ? (m.outgoing ? 'Delete it from this device only, or for everyone in the group (it then shows as deleted everywhere)?'
      : 'As an admin you can delete it for everyone in the group, or from this device only.')
    : 'Delete it from this device? Only its author or an admin can delete it for everyone.'), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn danger', onclick: () => { choice = 'me'; d.close(); }}, 'Delete for me'),
    everyone ? h('button', {class: 'btn danger', onclick: () => { choice = 'everyone'; d.close(); }}, 'Delete for everyone') : null,
  ]);
  d.addEventListener('close', async () => {
    if (!choice) return;
    try {
      await A.api('POST', `messages/${m.id}/delete`, {everyone: choice === 'everyone'});
    } catch (e) { toast(e.message, true); }
    A.reload();
  });
}

function startReply(m) {
  reply = m ? {gid: m.conversation, m} : null;
  const bar = document.querySelector('[data-testid=group-reply-bar]');
  if (bar) replace(bar, barContent(bar.dataset.gid));
  A.composer()?.focus();
}

function barContent(gid) {
  if (!reply || reply.gid !== gid) return [];
  const m = reply.m;
  return [h('span', null, `Replying to ${m.outgoing ? 'yourself' : A.nameOf(m.from)}: `, (m.body || '').slice(0, 80)),
    h('button', {class: 'act', 'aria-label': 'Cancel reply', onclick: () => startReply(null)}, '×')];
}

// replyBar is the composer's "Replying to …" line of group gid.
export function replyBar(gid) {
  return h('div', {class: 'reply-bar', 'data-testid': 'group-reply-bar', 'data-gid': gid}, barContent(gid));
}

// takeReply returns the id of the message a send to gid replies to (0 for
// none) and clears the reply.
export function takeReply(gid) {
  if (!reply || reply.gid !== gid) return 0;
  const id = reply.m.id;
  startReply(null);
  return id;
}

// disappearingButton is the group head's "Disappearing messages" action,
// for admins (Session's groups: after send only, in the Info config).
export function disappearingButton(g) {
  if (!g.admin || g.invited || g.removed) return null;
  return h('button', {class: 'icon-btn', 'aria-label': 'Disappearing messages', title: 'Disappearing messages',
    onclick: () => disappearingDialog(g.group_id)}, '⏱');
}

async function disappearingDialog(gid) {
  let cur;
  try {
    cur = await A.api('GET', `groups/${gid}/disappearing`);
  } catch (e) { toast(e.message, true); return; }
  let secs = cur.mode === 'send' ? cur.seconds : 0;
  const choices = [0, ...convo.TIMERS.send];
  if (!choices.includes(secs)) choices.push(secs);
  const box = h('fieldset', {class: 'choices', 'data-testid': 'group-timer-choices'}, h('legend', null, 'Disappear after send'),
    choices.map((t) => h('label', null, h('input', {type: 'radio', name: 'gdm-timer', value: String(t), checked: t === secs,
      onchange: () => { secs = t; }}), t ? convo.durationLabel(t) : 'Off')));
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const d = A.dialog('Disappearing messages', h('div', null,
    h('p', {class: 'muted small'}, 'This applies to everyone in the group; only admins can change it.'), box, err), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', onclick: async () => {
      try {
        await A.api('POST', `groups/${gid}/disappearing`, {mode: secs ? 'send' : 'off', seconds: secs});
        d.close();
        toast(secs ? `Messages now disappear ${convo.durationLabel(secs)} after send` : 'Disappearing messages turned off');
        A.reload();
      } catch (e) {
        err.textContent = e.message;
      }
    }}, 'Set'),
  ]);
}
