// Groups (issue 13): Session's groups (03… IDs) in the app — New group,
// the group conversation with each sender's name, the members panel (add,
// remove and promote for admins; rename; leave for everyone) and group
// invitations among the message requests. app.js calls in through a few
// hooks and hands over its helpers with initGroups.
import {h, icon, replace, toast, avatar, shortID, msgTime, fullTime, dayLabel} from './dom.js';
import {attachmentEl, attachControls, fileRequest, uploadBar, postFile} from './attachments.js';
import * as gc from './groupconvo.js';
import * as convo from './convo.js';

// A is what app.js lends: api, S (its state), dialog, confirmDialog,
// renderLeft, showMain, mainBack, closeConversation, contactName, linkify.
let A = null;

// Session's limits: a group has at most 100 members (its creator
// included), and a name at most 100 bytes.
const MAX_MEMBERS = 100;
const MAX_NAME_BYTES = 100;
// How many messages a group shows at first, and how many more each
// "Load earlier messages" adds.
const PAGE = 200;

const enc = new TextEncoder();

// G is the open group: its ID, the group, members and messages shown.
let G = null;

export function initGroups(app) {
  A = app;
  gc.initGroupConvo({api: A.api, dialog: A.dialog, me: () => A.S.state.account?.session_id, nameOf: personName,
    isAdmin: () => !!current().admin, reload: loadMessages, composer: () => G?.view?.composer, list: () => G?.view?.msgs});
  document.addEventListener('visibilitychange', markRead);
  // Ctrl+Alt+G is New group, beside the app's Ctrl+Alt+N for New message
  // (Session's Ctrl+Shift+G is taken by browsers).
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.altKey && e.key.toLowerCase() === 'g' && A.el.shell?.isConnected && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      openNewGroup();
    }
  });
}

export function isGroupID(id) {
  return typeof id === 'string' && id.startsWith('03') && id.length === 66;
}

function groups() {
  return A.S.groups || [];
}

function isOpen(id) {
  return A.S.mainView === 'group' && A.S.openID === id;
}

// pendingInvites are the invitations waiting for Accept or Decline that
// the requests list does not already hold.
export function pendingInvites() {
  const listed = new Set(A.S.requests.map((c) => c.session_id));
  return groups().filter((g) => g.invited && !listed.has(g.group_id));
}

// groupRows are the conversation-list rows of the joined groups that the
// conversation list does not already hold.
export function groupRows() {
  const listed = new Set([...A.S.inbox, ...A.S.requests].map((c) => c.session_id));
  // A hidden group leaves the list until its next message, as any
  // conversation (the open one stays, for Show in conversations).
  return groups().filter((g) => !g.invited && !listed.has(g.group_id) && (!g.hidden || isOpen(g.group_id))).map((g) => h('button', {
    class: 'item group-row', 'data-key': 'g' + g.group_id, 'data-id': g.group_id,
    'aria-current': isOpen(g.group_id) ? 'true' : 'false',
    onclick: () => openGroup(g.group_id),
  }, avatar(g.name, g.group_id),
  h('span', {class: 'body'},
    h('span', {class: 'top'}, h('span', {class: 'title'}, g.name || 'Group')),
    h('span', {class: 'top'}, h('span', {class: 'preview'}, g.admin ? 'Group · you are an admin' : 'Group')))));
}

// groupInviteRows are the invitations, as rows of the requests list.
export function groupInviteRows() {
  return pendingInvites().map((g) => h('button', {
    class: 'item group-row', 'data-key': 'gi' + g.group_id, 'data-id': g.group_id,
    'aria-current': isOpen(g.group_id) ? 'true' : 'false',
    onclick: () => openGroup(g.group_id),
  }, avatar(g.name, g.group_id),
  h('span', {class: 'body'},
    h('span', {class: 'top'}, h('span', {class: 'title'}, g.name || 'Group')),
    h('span', {class: 'top'}, h('span', {class: 'preview'}, `Group invitation from ${personName(g.invited_by)}`)))));
}

// personName is how a member is named: your nickname for them, their
// display name as a contact, the name they gave with their messages or the
// group lists, else a short ID.
function personName(id) {
  if (!id) return 'someone';
  if (id === A.S.state.account?.session_id) return 'You';
  const c = A.S.contacts.find((x) => x.session_id === id);
  if (c && (c.nickname || c.name)) return c.nickname || c.name;
  if (G?.names?.[id]) return G.names[id];
  const m = G?.members?.find((x) => x.session_id === id);
  if (m && m.name) return m.name;
  return shortID(id);
}

// ---------- New group ----------

export function openNewGroup() {
  A.S.mainView = 'newgroup';
  A.S.openID = '';
  A.showMain(true);
  A.renderLeft();
  renderNewGroup();
}

export function renderNewGroup() {
  const el = A.el;
  const contacts = A.S.contacts.filter((c) => c.approved && !c.blocked)
    .sort((a, b) => A.contactName(a).localeCompare(A.contactName(b)));
  const name = h('input', {class: 'input', id: 'group-name', autocomplete: 'off', placeholder: 'Enter a group name',
    'aria-describedby': 'group-error', disabled: !contacts.length});
  const err = h('p', {class: 'error', id: 'group-error', 'aria-live': 'polite'});
  const count = h('p', {class: 'muted small', 'aria-live': 'polite'}, '0 selected');
  const boxes = contacts.map((c) => {
    const id = 'pick-' + c.session_id;
    return h('li', null, h('label', {class: 'check pick', for: id},
      h('input', {type: 'checkbox', id, value: c.session_id, onchange: update}),
      avatar(c.nickname || c.name, c.session_id, true),
      h('span', null, A.contactName(c))));
  });
  const search = h('input', {type: 'search', class: 'input', 'aria-label': 'Search contacts', placeholder: 'Search contacts'});
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    for (const li of boxes) li.hidden = !!q && !li.textContent.toLowerCase().includes(q);
  });
  const go = h('button', {class: 'btn primary', type: 'submit', disabled: !contacts.length}, 'Create group');
  function picked() {
    return boxes.map((li) => li.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
  }
  function update() {
    const n = picked().length;
    count.textContent = `${n} selected`;
    if (n >= MAX_MEMBERS) err.textContent = `A group has at most ${MAX_MEMBERS} members, you included: pick at most ${MAX_MEMBERS - 1}.`;
    else if (err.textContent.startsWith('A group has')) err.textContent = '';
  }
  name.addEventListener('input', () => {
    const n = enc.encode(name.value.trim()).length;
    err.textContent = n > MAX_NAME_BYTES ? `Please enter a shorter group name (at most ${MAX_NAME_BYTES} bytes; this one has ${n})` : '';
  });
  const form = h('form', {class: 'section', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'group-name'}, 'Group name'), name),
    contacts.length ? h('fieldset', {class: 'pick-list'},
      h('legend', null, 'Pick members from your contacts'), search,
      h('ul', {class: 'list'}, boxes), count) : h('p', {class: 'empty'}, "You don't have any contacts yet. Write to someone first; once they answer, you can add them to a group."),
    err,
    h('div', {class: 'row-actions'}, go));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = name.value.trim();
    const members = picked();
    if (!n) { err.textContent = 'Please enter a group name'; name.focus(); return; }
    if (enc.encode(n).length > MAX_NAME_BYTES) { name.focus(); return; }
    if (!members.length) { err.textContent = 'Please pick at least one member'; return; }
    if (members.length >= MAX_MEMBERS) return;
    go.disabled = true;
    go.textContent = 'Creating…';
    go.setAttribute('aria-busy', 'true');
    try {
      const r = await A.api('POST', 'groups', {name: n, members});
      await A.refreshLists();
      await openGroup(r.group_id);
    } catch (ex) {
      err.textContent = ex.message;
      go.disabled = false;
      go.textContent = 'Create group';
      go.removeAttribute('aria-busy');
    }
  });
  replace(el.main,
    h('div', {class: 'pane-head'}, A.mainBack(), h('h2', {tabindex: '-1'}, 'New group')),
    h('div', {class: 'panel'},
      h('p', {class: 'muted'}, `A group has its own ID and up to ${MAX_MEMBERS} members. They get an invitation; you are its admin.`),
      form));
  (contacts.length ? name : el.main.querySelector('h2')).focus();
}

// ---------- group conversation ----------

export async function openGroup(id) {
  A.S.mainView = 'group';
  A.S.openID = id;
  A.showMain(true);
  A.renderLeft();
  if (!G || G.id !== id) G = {id, members: [], messages: null, more: false, limit: PAGE, view: null};
  renderGroup();
  await Promise.all([loadGroup(), loadMessages()]);
  if (isOpen(id) && G.view?.composer) G.view.composer.focus();
}

function current() {
  return groups().find((g) => g.group_id === G.id) || {group_id: G.id, name: G.group?.name || ''};
}

// groupChanged is the app's refresh hook: the lists changed (a message came,
// a member joined): the open group is read again.
export function groupChanged() {
  if (!G || !isOpen(G.id)) return;
  const g = groups().find((x) => x.group_id === G.id);
  if (!g) {
    // Left on another device, or declined.
    A.closeConversation();
    return;
  }
  if (G.view && (G.view.name !== g.name || G.view.invited !== !!g.invited || G.view.removed !== !!g.removed)) renderGroup();
  loadMessages();
}

async function loadGroup() {
  const id = G.id;
  try {
    const v = await A.api('GET', `groups/${id}`);
    if (!G || G.id !== id) return;
    G.group = v;
    G.members = v.members || [];
    if (isOpen(id)) renderGroupHead();
  } catch (e) {
    if (e.status === 404) { A.closeConversation(); toast('You are no longer in this group', true); return; }
    toast(e.message, true);
  }
}

let readTimer = 0;
// markRead marks the open group read when its end is on screen and the
// window is in front, and the list says it has unread messages.
function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(async () => {
    if (!G || !isOpen(G.id) || !G.view || document.visibilityState !== 'visible' || !atBottom(G.view.msgs)) return;
    const row = A.S.inbox.find((c) => c.session_id === G.id);
    if (!row || !(row.unread > 0 || row.marked_unread)) return;
    try {
      await A.api('POST', `groups/${G.id}/read`, {});
    } catch { /* next time */ }
  }, 300);
}

let loading = null; // the read in flight: {id, p}
async function loadMessages() {
  if (!G || current().invited) return;
  if (loading?.id === G.id) return loading.p;
  const id = G.id;
  const p = (async () => {
    try {
      const r = await A.api('GET', `groups/${id}/messages?limit=${G.limit}`);
      if (!G || G.id !== id) return;
      G.messages = r.messages;
      G.more = r.more;
      G.names = r.names || {};
      if (isOpen(id)) renderMessages();
    } catch (e) {
      if (e.status === 404) return;
      if (G && G.messages === null && isOpen(id)) {
        G.messages = [];
        renderMessages(e.message);
      }
    } finally {
      if (loading?.p === p) loading = null;
    }
  })();
  loading = {id, p};
  return p;
}

function renderGroup() {
  const g = current();
  const el = A.el;
  const msgs = h('ol', {class: 'messages', 'aria-label': `Messages in ${g.name || 'the group'}`, role: 'log', 'aria-live': 'polite', tabindex: '0'});
  const head = h('div', {class: 'pane-head conv-head group-head'});
  const body = h('div', {class: 'conv-body'}, msgs);
  msgs.addEventListener('scroll', () => { if (atBottom(msgs)) markRead(); });
  const kind = g.invited ? 'invite' : g.removed ? 'removed' : 'composer';
  // The same group re-rendered (its name or state came in while it
  // loaded, a live update): a composer that stays is kept as it is, its
  // draft, caret and focus with it, so typing is never cut off.
  const p = G.view;
  const keep = kind === 'composer' && p && p.id === G.id && p.kind === 'composer' && p.bottom?.parentNode === el.main;
  const bottom = keep ? p.bottom : kind === 'invite' ? inviteBar(g) : kind === 'removed' ? removedBar(g) : composer();
  G.view = {id: G.id, kind, bottom, name: g.name, invited: !!g.invited, removed: !!g.removed, head, msgs, sig: '',
    composer: bottom.querySelector('textarea')};
  el.conv = null;
  el.composer = null;
  el.msgs = msgs; // the app's search jumps to a result in it
  if (keep) {
    // Only what is around the composer is swapped: moving it out of the
    // page and back would take its focus.
    for (const c of [...el.main.childNodes]) if (c !== bottom) c.remove();
    el.main.insertBefore(head, bottom);
    el.main.insertBefore(body, bottom);
  } else {
    replace(el.main, head, body, bottom);
  }
  renderGroupHead();
  if (g.invited) {
    replace(msgs, h('li', {class: 'day'}, `${personName(g.invited_by)} invited you to join ${g.name || 'a group'}.`));
  } else if (G.messages) {
    renderMessages();
  } else {
    msgs.append(h('li', {class: 'day'}, 'Loading the group’s messages…'));
  }
}

function renderGroupHead() {
  const g = current();
  const v = G.view;
  if (!v || !v.head.isConnected) return;
  const n = G.members.length;
  const sub = g.invited ? 'Invitation' : g.removed ? 'You were removed' : n ? `${n} member${n === 1 ? '' : 's'}${g.admin ? ' · you are an admin' : ''}` : 'Group';
  replace(v.head, A.mainBack(), avatar(g.name, g.group_id),
    h('div', {class: 'who'}, h('span', {class: 'title'}, g.name || 'Group'),
      h('span', {class: 'sub', 'data-testid': 'group-sub'}, sub)),
    gc.disappearingButton(g),
    g.invited || g.removed ? null : h('button', {class: 'icon-btn', 'aria-label': 'Members', title: 'Members', onclick: membersPanel}, icon('people')),
    g.invited || g.removed ? null : h('button', {class: 'icon-btn', 'aria-label': 'Conversation options', title: 'Conversation options', onclick: groupMenu}, icon('more')));
}

// groupMenu is the group's conversation menu: pin, notifications, hide and
// mark unread, as Session's groups have them (the conversation calls take
// the group's ID; the timer is the head's, for admins).
function groupMenu() {
  const g = current();
  const row = A.S.inbox.find((c) => c.session_id === G.id);
  const c = {...(row || {session_id: G.id, pinned: false, muted: false}), kind: 'group', messages: G.messages || []};
  const unread = row && (row.unread > 0 || row.marked_unread);
  const d = A.dialog(g.name || 'Group', h('div', {class: 'menu-list'},
    row ? h('button', {class: 'btn ghost', onclick: async () => {
      d.close();
      clearTimeout(readTimer); // a read mark on its way would undo Mark unread
      try {
        await A.api('POST', `conversations/${G.id}/${unread ? 'read' : 'unread'}`, {});
        toast(unread ? 'Marked read' : 'Marked unread');
        if (!unread) A.closeConversation();
        A.refreshLists?.();
      } catch (e) {
        toast(e.message, true);
      }
    }}, unread ? 'Mark read' : 'Mark unread') : null,
    convo.menuItems(c, () => d.close(), true),
    h('button', {class: 'btn ghost', onclick: () => { d.close(); membersPanel(); }}, 'Members')), [
    h('button', {class: 'btn primary', onclick: () => d.close()}, 'Close'),
  ]);
}

function atBottom(m) {
  return m.scrollHeight - m.scrollTop - m.clientHeight < 60;
}

// renderMessages shows G.messages, rebuilding the list only when it
// changed; a reader who scrolled up keeps their place.
function renderMessages(error) {
  const v = G.view;
  if (!v || !v.msgs.isConnected || current().invited) return;
  const pending = [...v.msgs.querySelectorAll('li.msg[data-pending]')];
  const sig = JSON.stringify([G.messages, G.more, G.names, G.members.map((m) => [m.session_id, m.name]), A.S.contacts.length]);
  if (sig === v.sig && !error) return;
  v.sig = sig;
  const follow = atBottom(v.msgs) || !v.msgs.querySelector('li.msg');
  const top = v.msgs.scrollTop;
  v.msgs.replaceChildren();
  if (G.more) {
    v.msgs.append(h('li', {class: 'more'}, h('button', {class: 'btn small ghost', onclick: () => { G.limit += PAGE; loadMessages(); }}, 'Load earlier messages')));
  }
  let day = '';
  for (const m of G.messages) {
    const d = dayLabel(m.sent_at);
    if (d !== day) { v.msgs.append(h('li', {class: 'day', 'aria-hidden': 'true'}, d)); day = d; }
    v.msgs.append(m.kind === 'notice' ? noticeEl(m) : messageEl(m));
  }
  // Messages still being sent stay at the end, unless they are in now.
  for (const li of pending) {
    if (!G.messages.some((m) => String(m.id) === li.dataset.mid)) v.msgs.append(li);
  }
  if (error) v.msgs.append(h('li', {class: 'day error'}, `Could not read the group: ${error}`));
  else if (!G.messages.length && !pending.length) v.msgs.append(h('li', {class: 'day'}, 'No messages yet. Say hello!'));
  if (follow) v.msgs.scrollTop = v.msgs.scrollHeight;
  else v.msgs.scrollTop = top;
  markRead();
}

// noticeEl is a line the group shows about itself ("Alice added Bob"),
// centered like Session's, not a message anyone wrote.
function noticeEl(m) {
  return h('li', {class: 'notice group-notice', 'data-testid': 'group-notice', 'data-mid': m.id, title: fullTime(m.sent_at)}, m.body);
}

function messageEl(m, extra) {
  const out = m.outgoing;
  const who = out ? 'You' : personName(m.from);
  return h('li', {class: `msg ${out ? 'out' : 'in'} ${m.status === 'failed' ? 'failed' : ''}`, 'data-mid': m.id, 'data-from': m.from, ...extra},
    out ? h('span', {class: 'visually-hidden'}, 'You: ')
      : h('span', {class: 'author', 'data-testid': 'sender', title: m.from}, who),
    m.deleted ? h('div', {class: 'bubble deleted', 'data-testid': 'message-body'}, 'This message was deleted')
      : h('div', {class: 'bubble', 'data-testid': 'message-body'}, gc.quoteEl(m), A.linkify(m.body),
        (m.attachments || []).map((a, i) => attachmentEl(m, a, i, {api: A.api}))),
    gc.reactionsEl(m),
    h('span', {class: 'meta'},
      h('time', {datetime: m.sent_at, title: fullTime(m.sent_at)}, msgTime(m.sent_at)), gc.marks(m),
      out ? h('span', {class: m.status === 'failed' ? 'failed' : '', 'data-status': m.status},
        {sending: 'Sending…', sent: 'Sent', failed: 'Failed to send'}[m.status] || '') : null,
      out && m.status === 'failed' ? h('button', {class: 'retry', 'aria-label': 'Retry sending', title: m.error || '',
        onclick: (e) => retry(e.target.closest('li'), m)}, 'Retry') : null),
    gc.actionsEl(m));
}

function composer() {
  const max = A.S.state.limits?.message_bytes || 32768;
  const ta = h('textarea', {rows: '1', 'aria-label': 'Message', placeholder: 'Message', 'data-testid': 'composer'});
  const btn = h('button', {class: 'send', 'aria-label': 'Send', title: 'Send (Enter)', disabled: true, onclick: go}, icon('send'));
  const draftFor = G.id;
  ta.value = A.S.drafts[draftFor] || '';
  function update() {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 160) + 'px';
    btn.disabled = !ta.value.trim() || enc.encode(ta.value).length > max;
  }
  ta.addEventListener('input', () => { A.S.drafts[draftFor] = ta.value; update(); });
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); go(); }
  });
  requestAnimationFrame(update);
  function go() {
    const body = ta.value;
    if (!body.trim() || enc.encode(body).length > max) return;
    ta.value = '';
    delete A.S.drafts[draftFor];
    update();
    send(body);
  }
  return h('div', null, gc.replyBar(G.id), h('div', {class: 'composer'}, ...attachControls(sendFiles), ta, btn));
}

// sendFiles sends files to the group, one message each, shown at once
// as "Sending…" with their upload's progress (attachments.js).
async function sendFiles(list) {
  for (const file of list) {
    const id = G.id;
    const v = G.view;
    let r;
    try {
      r = await fileRequest(file, '');
    } catch (e) {
      toast(e.message, true);
      continue;
    }
    const temp = {id: `tmp${++tmp}`, from: A.S.state.account.session_id, outgoing: true, body: '', sent_at: new Date().toISOString(),
      status: 'sending', attachments: [r.shown]};
    let li = messageEl(temp, {'data-pending': ''});
    const bar = uploadBar(id, file.name);
    li.querySelector('.bubble')?.append(bar);
    v.msgs.append(li);
    v.msgs.scrollTop = v.msgs.scrollHeight;
    try {
      const m = await postFile(`groups/${id}/files`, r.req, bar);
      const done = messageEl(m, {'data-pending': ''});
      li.replaceWith(done);
      li = done;
      if (m.status === 'failed') toast('File not sent. Press Retry to try again.', true);
    } catch (e) {
      li.replaceWith(messageEl({...temp, status: 'failed', error: e.message}, {'data-pending': ''}));
      toast(`File not sent: ${e.message}`, true);
    }
  }
}

let tmp = 0;

// retry sends a failed message again: one the client saved (a number id)
// through its outbox, one the app never took by sending its text again.
async function retry(li, m) {
  if (typeof m.id !== 'number') {
    li.remove();
    send(m.body);
    return;
  }
  li.querySelector('[data-status]').textContent = 'Sending…';
  try {
    const again = await A.api('POST', `messages/${m.id}/retry`, {});
    li.replaceWith(messageEl(again, {'data-pending': ''}));
    if (again.status === 'failed') toast('Still not sent. Check the network status in Settings.', true);
  } catch (e) {
    toast(e.message, true);
  }
  loadMessages();
}
// send shows the message at once as "Sending…", then as sent (or failed,
// with Retry: a failed message is never dropped).
async function send(body) {
  const id = G.id;
  const v = G.view;
  const replyTo = gc.takeReply(id);
  const temp = {id: `tmp${++tmp}`, from: A.S.state.account.session_id, outgoing: true, body, sent_at: new Date().toISOString(), status: 'sending'};
  let li = messageEl(temp, {'data-pending': ''});
  v.msgs.querySelector('li.day:last-child:not([aria-hidden])')?.remove();
  v.msgs.append(li);
  v.msgs.scrollTop = v.msgs.scrollHeight;
  try {
    const m = await A.api('POST', `groups/${id}/messages`, {body, reply_to: replyTo || undefined});
    // Shown as the answer says (sent, or failed with Retry) until the list
    // is read again with it.
    const done = messageEl(m, {'data-pending': ''});
    li.replaceWith(done);
    li = done;
    if (m.status === 'failed') toast('Message not sent. Press Retry to try again.', true);
  } catch (e) {
    const failed = messageEl({...temp, status: 'failed', error: e.message}, {'data-pending': ''});
    li.replaceWith(failed);
    toast(`Message not sent: ${e.message}`, true);
  }
}

function inviteBar(g) {
  return h('div', {class: 'request-bar', 'data-testid': 'invite-bar'},
    h('p', null, `${personName(g.invited_by)} invited you to join ${g.name || 'a group'}. Accept to read and write in it; the members will see your display name. Decline deletes the invitation; nobody is told.`),
    h('div', {class: 'row-actions'},
      h('button', {class: 'btn primary', onclick: () => answerInvite(g, 'accept')}, 'Accept'),
      h('button', {class: 'btn ghost', onclick: () => answerInvite(g, 'decline')}, 'Decline')));
}

// removedBar replaces the composer of a group an admin removed this
// account from: its history stays until the group is deleted here.
function removedBar(g) {
  return h('div', {class: 'request-bar', 'data-testid': 'removed-bar'},
    h('p', null, `You were removed from ${g.name || 'this group'}. Its messages stay on this device until you delete the group.`),
    h('div', {class: 'row-actions'},
      h('button', {class: 'btn danger', onclick: async () => {
        if (!await A.confirmDialog(`Delete ${g.name}?`, 'Its messages are deleted from this device.', 'Delete', true)) return;
        try {
          await A.api('POST', `groups/${g.group_id}/leave`, {});
          G = null;
          await A.refreshLists();
          A.closeConversation();
        } catch (e) { toast(e.message, true); }
      }}, 'Delete group')));
}

async function answerInvite(g, action) {
  try {
    await A.api('POST', `groups/${g.group_id}/${action}`, {});
    toast(action === 'accept' ? `You joined ${g.name}` : 'Invitation deleted');
    await A.refreshLists();
    if (action === 'decline') {
      A.closeConversation();
      return;
    }
    A.S.leftView = 'chats';
    A.renderLeft();
    G.messages = null;
    await openGroup(g.group_id);
  } catch (e) {
    toast(e.message, true);
  }
}

// ---------- members panel ----------

const STATUS = {
  invite_sending: 'Sending invite', invite_sent: 'Invite sent', invite_failed: 'Invite failed', invite_not_sent: 'Invite not sent',
  promotion_sending: 'Sending promotion', promotion_sent: 'Promotion sent', promotion_failed: 'Promotion failed',
  promotion_not_sent: 'Promotion not sent', removed: 'Pending removal', removed_unknown: 'Pending removal',
  removed_including_messages: 'Pending removal',
};

function statusText(s) {
  if (!s || s === 'accepted' || s === 'admin' || s === 'promotion_accepted' || s === 'invite_accepted') return '';
  return STATUS[s] || s.replaceAll('_', ' ');
}

function membersPanel() {
  const list = h('ul', {class: 'list member-list', 'aria-label': 'Group members'});
  const actions = h('div', {class: 'row-actions'});
  const d = A.dialog('Members', h('div', {class: 'section'}, list), [actions]);
  const id = G.id;
  async function draw(reload) {
    if (reload) await loadGroup();
    if (!G || G.id !== id || !d.open) return;
    const g = current();
    const me = A.S.state.account.session_id;
    const sorted = G.members.slice().sort((a, b) => (b.session_id === me) - (a.session_id === me) || b.admin - a.admin ||
      personName(a.session_id).localeCompare(personName(b.session_id)));
    replace(list, sorted.map((m, i) => {
      const self = m.session_id === me;
      const nameID = `member-${i}`;
      const st = statusText(m.status);
      return h('li', {class: 'member', 'data-id': m.session_id},
        avatar(self ? A.S.state.account.display_name : personName(m.session_id) === shortID(m.session_id) ? '' : personName(m.session_id), m.session_id, true),
        h('span', {class: 'body'},
          h('span', {class: 'title', id: nameID}, self ? 'You' : personName(m.session_id)),
          m.admin ? h('span', {class: 'admin-badge', 'data-testid': 'admin-badge'}, 'Admin') : null,
          st ? h('span', {class: 'member-status', 'data-testid': 'member-status'}, st) : null),
        g.admin && !self ? h('span', {class: 'contact-actions'},
          m.admin ? null : h('button', {class: 'btn small ghost', 'aria-describedby': nameID, onclick: () => promote(m)}, 'Make admin'),
          h('button', {class: 'btn small danger', 'aria-label': 'Remove', 'aria-describedby': nameID, onclick: () => remove(m)}, 'Remove')) : null);
    }));
    if (!G.members.length) list.append(h('li', {class: 'empty'}, 'Reading the members…'));
    replace(actions,
      g.admin ? h('button', {class: 'btn ghost', onclick: () => addMembers(() => draw(true))}, 'Add members') : null,
      g.admin ? h('button', {class: 'btn ghost', onclick: () => rename(() => draw(false))}, 'Rename group') : null,
      h('button', {class: 'btn danger', onclick: () => leave(d)}, 'Leave group'),
      h('button', {class: 'btn primary', onclick: () => d.close()}, 'Close'));
  }
  async function promote(m) {
    const who = personName(m.session_id);
    if (!await A.confirmDialog(`Make ${who} an admin?`, `${who} will be able to add and remove members and rename the group. This cannot be undone.`, 'Make admin', false)) return;
    try {
      await A.api('POST', `groups/${id}/members/${m.session_id}/promote`, {});
      toast(`${who} is an admin now`);
    } catch (e) { toast(e.message, true); }
    draw(true);
  }
  async function remove(m) {
    const who = personName(m.session_id);
    if (!await A.confirmDialog(`Remove ${who}?`, `${who} will no longer read or write in ${current().name}. The group's key changes, so they cannot read what is written after.`, 'Remove', true)) return;
    try {
      await A.api('POST', `groups/${id}/members/${m.session_id}/remove`, {});
      toast(`${who} was removed`);
    } catch (e) { toast(e.message, true); }
    draw(true);
  }
  draw(false);
  loadGroup().then(() => draw(false));
}

function addMembers(after) {
  const inGroup = new Set(G.members.map((m) => m.session_id));
  const contacts = A.S.contacts.filter((c) => c.approved && !c.blocked && !inGroup.has(c.session_id))
    .sort((a, b) => A.contactName(a).localeCompare(A.contactName(b)));
  const room = MAX_MEMBERS - G.members.length;
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const boxes = contacts.map((c) => {
    const id = 'add-' + c.session_id;
    return h('li', null, h('label', {class: 'check pick', for: id},
      h('input', {type: 'checkbox', id, value: c.session_id}),
      avatar(c.nickname || c.name, c.session_id, true), h('span', null, A.contactName(c))));
  });
  const add = h('button', {class: 'btn primary', disabled: !contacts.length, onclick: go}, 'Add');
  const d = A.dialog('Add members', h('div', {class: 'section'},
    contacts.length ? h('ul', {class: 'list pick-list'}, boxes) : h('p', {class: 'empty'}, 'All your contacts are in this group already.'),
    h('p', {class: 'muted small'}, `Room for ${room} more.`), err), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'), add]);
  async function go() {
    const members = boxes.map((li) => li.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    if (!members.length) { err.textContent = 'Pick at least one contact'; return; }
    if (members.length > room) { err.textContent = `A group has at most ${MAX_MEMBERS} members: there is room for ${room} more.`; return; }
    add.disabled = true;
    add.textContent = 'Adding…';
    try {
      await A.api('POST', `groups/${G.id}/members`, {members});
      toast(members.length === 1 ? 'Invitation sent' : `${members.length} invitations sent`);
      d.close();
      after();
    } catch (e) {
      err.textContent = e.message;
      add.disabled = false;
      add.textContent = 'Add';
    }
  }
}

function rename(after) {
  const g = current();
  const input = h('input', {class: 'input', id: 'rename-group', value: g.name || '', autocomplete: 'off'});
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const form = h('form', {method: 'dialog'},
    h('div', {class: 'field'}, h('label', {for: 'rename-group'}, 'Group name'), input,
      h('p', {class: 'muted small'}, 'Every member sees the new name.')), err);
  const d = A.dialog('Rename group', form, [
    h('button', {class: 'btn ghost', type: 'button', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', type: 'button', onclick: save}, 'Save'),
  ]);
  async function save() {
    const name = input.value.trim();
    if (!name) { err.textContent = 'Please enter a group name'; return; }
    if (enc.encode(name).length > MAX_NAME_BYTES) { err.textContent = `Please enter a shorter group name (at most ${MAX_NAME_BYTES} bytes)`; return; }
    try {
      await A.api('POST', `groups/${g.group_id}/rename`, {name});
      d.close();
      await A.refreshLists();
      A.renderLeft();
      if (isOpen(g.group_id)) { await loadGroup(); renderGroup(); }
      after();
    } catch (e) {
      err.textContent = e.message;
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  input.focus();
  input.select();
}

async function leave(panel) {
  const g = current();
  const me = A.S.state.account.session_id;
  const lastAdmin = g.admin && !G.members.some((m) => m.admin && m.session_id !== me);
  const text = `Are you sure you want to leave ${g.name}?` + (lastAdmin
    ? ' You are its only admin: once you leave, nobody can add or remove members or rename it.' : '') +
    ' Its messages are deleted from this device.';
  if (!await A.confirmDialog(`Leave ${g.name}?`, text, 'Leave', true)) return;
  panel.close();
  try {
    await A.api('POST', `groups/${g.group_id}/leave`, {});
    toast(`You left ${g.name}`);
    G = null;
    await A.refreshLists();
    A.closeConversation();
  } catch (e) {
    toast(e.message, true);
  }
}
