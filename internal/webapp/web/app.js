// Session web app: onboarding, conversations, requests, contacts and
// settings, on the JSON API of `session app`, with live updates from its
// event stream. No framework and no build step.
import {h, icon, replace, toast, copyText, avatar, shortID, listTime, msgTime, fullTime, dayLabel} from './dom.js';
import * as groups from './groups.js';
import {renderMarkdown} from './markdown.js';
import {Notifier, updateTitle, settingsSection as notifySettings} from './notify.js';
import * as files from './attachments.js';
import * as convo from './convo.js';

const root = document.getElementById('app');

// ---------- API ----------

class ApiError extends Error {
  constructor(msg, status) { super(msg); this.status = status; }
}

async function api(method, path, body) {
  const opt = {method, headers: {}, credentials: 'same-origin'};
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch('/api/' + path, opt);
  } catch {
    throw new ApiError('The app is not answering: is `session app` still running?', 0);
  }
  if (r.status === 401) {
    signedOut();
    throw new ApiError('not signed in', 401);
  }
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(data.error || r.statusText, r.status);
  if (data && typeof data.warning === 'string') toast(data.warning);
  return data;
}

// ---------- state ----------

const S = {
  state: null,          // /api/state
  inbox: [],
  requests: [],
  contacts: [],
  leftView: 'chats',    // chats | requests | contacts
  mainView: 'welcome',  // welcome | conversation | new | settings
  openID: '',           // open conversation
  conv: null,           // open conversation's data
  limit: 100,
  network: null,
  online: true,
  readMarked: {},       // session ID → id of the last incoming message marked read
  drafts: {},           // session ID → unsent text, kept when switching conversations
};

const isNarrow = () => window.matchMedia('(max-width: 760px)').matches;

// ---------- theme ----------

function applyTheme() {
  const t = localStorage.getItem('theme') || 'system';
  if (t === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
}
applyTheme();

// ---------- start ----------

async function start() {
  // The lists are asked for at once, with the state, not after it: one
  // round trip less before the first render.
  const lists = Promise.all([api('GET', 'conversations'), api('GET', 'contacts')]).catch(() => null);
  try {
    S.state = await api('GET', 'state');
  } catch (e) {
    if (e.status !== 401) replace(root, h('p', {class: 'splash'}, e.message));
    return;
  }
  connectEvents();
  if (!S.state.account) {
    onboardingStart();
  } else {
    await openShell(await lists);
  }
}

function signedOut() {
  if (events) events.close();
  root.className = '';
  replace(root, h('div', {class: 'onboarding'}, h('div', {class: 'card'},
    brand(),
    h('h2', null, 'Open the app from its link'),
    h('p', {class: 'muted'}, 'This tab is not signed in. Open the link that `session app` printed in your terminal (it starts with http://127.0.0.1 and carries a one-time token).'))));
}

function brand() {
  return h('div', {class: 'brand'}, h('img', {src: 'icon.svg', alt: ''}), h('span', {class: 'name'}, 'Session'));
}

function localNote() {
  if (!S.state?.network?.local) return null;
  return h('p', {class: 'note', 'data-testid': 'local-network'},
    'Local test network: this app runs its own network on this computer, for trying Session out. Messages reach only other apps on this computer.');
}

// ---------- onboarding ----------

function card(...children) {
  root.className = '';
  const c = h('main', {class: 'card'}, ...children);
  replace(root, h('div', {class: 'onboarding'}, c));
  const f = c.querySelector('[autofocus]') || c.querySelector('h2');
  if (f) {
    if (!f.hasAttribute('tabindex') && f.tagName === 'H2') f.setAttribute('tabindex', '-1');
    f.focus();
  }
  return c;
}

function onboardingStart() {
  S.onboarding = true;
  card(
    brand(),
    h('h2', {tabindex: '-1'}, 'Private messages, with no phone number or e-mail'),
    h('p', {class: 'muted'}, 'Your account is a key kept on this device. Messages are end-to-end encrypted and travel over an onion-routed network.'),
    localNote(),
    h('div', {class: 'section'},
      h('button', {class: 'btn primary wide', onclick: onboardingName}, 'Create account'),
      h('button', {class: 'btn ghost wide', onclick: onboardingRestore}, 'Restore account')),
  );
}

function onboardingName() {
  const input = h('input', {class: 'input', id: 'display-name', autocomplete: 'nickname', maxlength: '100', autofocus: true, placeholder: 'Enter your display name'});
  const err = h('p', {class: 'error', id: 'name-error', 'aria-live': 'polite'});
  const go = h('button', {class: 'btn primary wide', type: 'submit', disabled: true}, 'Continue');
  input.setAttribute('aria-describedby', 'name-error');
  input.addEventListener('input', () => { go.disabled = !input.value.trim(); err.textContent = ''; });
  const form = h('form', {class: 'section', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'display-name'}, 'Display name'), input, err), go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!input.value.trim()) { err.textContent = 'Please enter a display name'; return; }
    go.disabled = true;
    go.textContent = 'Creating…';
    try {
      const r = await api('POST', 'account/create', {display_name: input.value});
      onboardingWords(r.recovery_password);
    } catch (ex) {
      err.textContent = ex.message;
      go.disabled = false;
      go.textContent = 'Continue';
      input.focus();
    }
  });
  card(h('button', {class: 'back-link', onclick: onboardingStart}, '‹ Back'),
    h('h2', null, 'Pick your display name'),
    h('p', {class: 'muted'}, 'This is the name people see. It can be anything, and you can change it later.'),
    form);
}

function onboardingWords(words) {
  const saved = h('input', {type: 'checkbox', id: 'saved'});
  const go = h('button', {class: 'btn primary wide', disabled: true, onclick: () => openShell()}, 'Continue');
  saved.addEventListener('change', () => { go.disabled = !saved.checked; });
  card(
    h('h2', null, 'Your recovery password'),
    h('p', {class: 'muted'}, 'These 13 words are the only way to get your account back on a new device. Write them down and keep them somewhere safe. Anyone who has them can read your messages.'),
    h('p', {class: 'words', id: 'recovery-password', 'aria-label': 'Recovery password', role: 'group', 'data-testid': 'recovery-password'}, words),
    h('div', {class: 'row-actions'}, h('button', {class: 'btn ghost', onclick: () => copyText(words, 'Recovery password')}, icon('copy'), 'Copy')),
    h('label', {class: 'check', for: 'saved'}, saved, h('span', null, 'I have saved my recovery password somewhere safe')),
    go);
}

function onboardingRestore() {
  const words = h('textarea', {class: 'input mono', id: 'recovery-input', rows: '3', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', autofocus: true, placeholder: 'Enter your recovery password', 'aria-describedby': 'restore-error'});
  const name = h('input', {class: 'input', id: 'restore-name', autocomplete: 'nickname', maxlength: '100', placeholder: 'Optional'});
  const err = h('p', {class: 'error', id: 'restore-error', 'aria-live': 'polite'});
  const go = h('button', {class: 'btn primary wide', type: 'submit', disabled: true}, 'Continue');
  words.addEventListener('input', () => { go.disabled = !words.value.trim(); err.textContent = ''; });
  const form = h('form', {class: 'section', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'recovery-input'}, 'Recovery password'), words, err),
    h('div', {class: 'field'}, h('label', {for: 'restore-name'}, 'Display name'), name,
      h('p', {class: 'muted small'}, 'Leave it empty to keep the name from your other device.')),
    go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    go.disabled = true;
    go.textContent = 'Restoring…';
    try {
      await api('POST', 'account/restore', {recovery_password: words.value, display_name: name.value});
      await openShell();
    } catch (ex) {
      err.textContent = ex.message;
      go.disabled = false;
      go.textContent = 'Continue';
      words.focus();
    }
  });
  card(h('button', {class: 'back-link', onclick: onboardingStart}, '‹ Back'),
    h('h2', null, 'Restore account'),
    h('p', {class: 'muted'}, 'Enter the 13 words of your recovery password, separated by spaces. Your conversations and contacts come back from the network.'),
    localNote(),
    form);
}

// ---------- shell ----------

const el = {};

async function openShell(lists) {
  S.onboarding = false;
  if (lists) {
    [{inbox: S.inbox, requests: S.requests, groups: S.groups}, S.contacts] = lists;
  } else {
    [S.state] = await Promise.all([api('GET', 'state'), refreshLists()]);
  }
  root.className = '';
  el.left = h('nav', {class: 'left', 'aria-label': 'Conversations'});
  el.main = h('main', {class: 'main'});
  el.shell = h('div', {class: 'shell'}, el.left, el.main);
  replace(root, el.shell);
  renderLeft();
  renderMain();
}

function showMain(on) {
  el.shell.classList.toggle('show-main', on);
}

let listsAsked = 0;
let listsShown = 0;
async function refreshLists() {
  const n = ++listsAsked;
  const [cv, cts] = await Promise.all([api('GET', 'conversations'), api('GET', 'contacts'), files.loadPictures()]);
  // Overlapping reloads can be answered out of order (one asked before a
  // read was marked, slow under load, answered after one asked since): an
  // older answer never replaces a newer one, or the list would show the
  // conversation unread again until the next update.
  if (n < listsShown) return;
  listsShown = n;
  S.inbox = cv.inbox;
  S.requests = cv.requests;
  S.groups = cv.groups || [];
  S.contacts = cts;
}

let refreshTimer = 0;
// refreshSoon coalesces bursts of events into one reload of the lists.
function refreshSoon(alsoConv) {
  if (alsoConv) refreshSoon.conv = true;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const conv = refreshSoon.conv;
    refreshSoon.conv = false;
    try {
      S.state = await api('GET', 'state');
      await refreshLists();
      renderLeft();
      if (S.mainView === 'conversation' && S.conv) {
        // A name learnt since (their profile came with a message) or a
        // change from another device reloads the open conversation.
        const row = S.inbox.find((x) => x.session_id === S.openID) || S.requests.find((x) => x.session_id === S.openID);
        if (conv || (row && row.name !== S.conv.name)) await reloadConversation(false);
        markRead();
      }
      if (S.mainView === 'settings') updateSettingsName();
      if (S.mainView === 'group') groups.groupChanged();
    } catch { /* shown elsewhere */ }
  }, 120);
}

// keepFocus re-renders a container and puts the focus back on the element
// with the same data-key, so live updates never steal the keyboard.
function keepFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  const scroll = container.querySelector('.scroll')?.scrollTop;
  render();
  if (scroll != null) {
    const sc = container.querySelector('.scroll');
    if (sc) sc.scrollTop = scroll;
  }
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

function displayName(c) {
  if (convo.selfName(c)) return convo.selfName(c);
  if (S.state.network?.echo_id && c.session_id === S.state.network.echo_id && !c.name) return 'Echo';
  return c.name || shortID(c.session_id);
}

// ---------- left pane ----------

// leftPress is set while a mouse button or finger is down on the left pane:
// renderLeft waits for the release, since replacing the pressed button
// before it would lose the click (press and release must land on one
// element), and live updates come at any time.
let leftPress = false;
document.addEventListener('pointerdown', (e) => { leftPress = !!el.left?.contains(e.target); }, true);
for (const type of ['pointerup', 'pointercancel']) {
  document.addEventListener(type, () => {
    if (!leftPress) return;
    leftPress = false;
    setTimeout(renderLeft); // after the click this release makes
  }, true);
}

function renderLeft() {
  updateTitle(S.inbox); // whichever list shows
  if (leftPress) return; // rendered on the release
  // Re-render only when what the pane shows changed: replacing nodes for
  // nothing would lose a screen reader's place (and a click in flight).
  const sig = JSON.stringify([S.leftView, S.inbox, S.requests, S.groups, S.leftView === 'contacts' ? S.contacts : 0,
    S.online, S.conn, S.openID, S.mainView, S.state.account, S.state.network]);
  if (sig === el.leftSig && el.left.firstChild) return;
  el.leftSig = sig;
  keepFocus(el.left, () => {
    if (S.leftView === 'requests') return renderRequests();
    if (S.leftView === 'contacts') return renderContacts();
    renderChats();
  });
}

function renderChats() {
  const me = S.state.account;
  const list = h('ul', {class: 'list', 'aria-label': 'Conversations'});
  // The first render shows the rows a screen holds at once and adds the
  // rest in the next task, so a long list does not hold up the first paint.
  const first = S.listMarked ? S.inbox.length : 40;
  for (const g of groups.groupRows()) list.append(h('li', null, g));
  for (const c of S.inbox.slice(0, first)) list.append(h('li', null, convRow(c)));
  if (first < S.inbox.length) {
    const rest = S.inbox.slice(first);
    setTimeout(() => {
      if (!list.isConnected) return;
      const frag = document.createDocumentFragment();
      for (const c of rest) frag.append(h('li', null, convRow(c)));
      list.append(frag);
    });
  }
  const empty = S.inbox.length || list.firstChild ? null : h('div', {class: 'empty'},
    h('p', null, 'No conversations yet.'),
    h('p', {class: 'small'}, 'Press + to write to someone with their Session ID.'),
    S.state.network?.echo_id ? h('button', {class: 'btn primary', 'data-key': 'try-echo', onclick: () => openConversation(S.state.network.echo_id)}, 'Say hi to Echo') : null,
    S.state.network?.echo_id ? h('p', {class: 'small'}, 'Echo is a bot on this test network that answers every message.') : null);
  const reqCount = S.requests.length + groups.pendingInvites().length;
  const requests = reqCount ? h('div', {class: 'requests-entry'},
    h('button', {class: 'item', 'data-key': 'requests', 'aria-label': 'Message requests', 'aria-describedby': 'req-count', onclick: () => { S.leftView = 'requests'; renderLeft(); focusFirst(); }},
      h('span', {class: 'avatar small', 'aria-hidden': 'true'}, icon('inbox')),
      h('span', {class: 'body'}, h('span', {class: 'title'}, 'Message requests')),
      h('span', {class: 'badge', id: 'req-count'}, String(reqCount)))) : null;
  replace(el.left,
    h('div', {class: 'pane-head'},
      h('button', {class: 'icon-btn', 'data-key': 'me', 'aria-label': 'Your Session ID', title: 'Your Session ID and settings', onclick: openSettings},
        avatar(me.display_name, me.session_id)),
      h('h1', null, 'Messages'),
      h('button', {class: 'icon-btn', 'data-key': 'contacts', 'aria-label': 'Contacts', title: 'Contacts', onclick: () => { S.leftView = 'contacts'; renderLeft(); focusFirst(); }}, icon('people')),
      h('button', {class: 'icon-btn', 'data-key': 'new-group', 'aria-label': 'New group', title: 'New group', onclick: groups.openNewGroup}, icon('group')),
      h('button', {class: 'icon-btn', 'data-key': 'new', 'aria-label': 'New message', title: 'New message', onclick: openNew}, icon('plus'))),
    S.state.network?.local ? h('p', {class: 'banner', 'data-testid': 'local-network'}, 'Local test network: messages stay on this computer.') : null,
    S.online ? null : h('p', {class: 'banner offline', role: 'status'}, 'Reconnecting to the app…'),
    S.conn && !S.conn.connected ? h('p', {class: 'banner offline', role: 'status', title: S.conn.error || ''},
      'Cannot reach the network. Retrying', S.conn.retry_in_ms ? ` in ${Math.ceil(S.conn.retry_in_ms / 1000)} s` : '', '…') : null,
    h('div', {class: 'scroll'}, requests, list, empty));
  if (!S.listMarked) {
    // The first frame with the list in it: what the benchmark measures.
    S.listMarked = true;
    requestAnimationFrame(() => performance.mark('conversations-rendered'));
  }
}

function convRow(c, isRequest) {
  const unread = c.unread > 0 || c.marked_unread;
  const name = displayName(c);
  return h('button', {
    class: `item ${unread ? 'unread' : ''}`, 'data-key': 'c' + c.session_id, 'data-id': c.session_id,
    'aria-current': S.openID === c.session_id && (S.mainView === 'conversation' || S.mainView === 'group') ? 'true' : 'false',
    onclick: () => openConversation(c.session_id),
    oncontextmenu: isRequest ? null : (e) => { e.preventDefault(); convo.rowMenu(c); },
  },
  files.picture(avatar(c.name || (name !== shortID(c.session_id) ? name : ''), c.session_id), c.session_id),
  h('span', {class: 'body'},
    h('span', {class: 'top'}, h('span', {class: 'title'}, name), convo.rowMarks(c), h('span', {class: 'time'}, listTime(c.last_activity))),
    h('span', {class: 'top'}, h('span', {class: 'preview'}, c.preview || (isRequest ? (c.kind === 'group' ? 'Group invitation' : 'Wants to message you') : '')),
      unread ? h('span', {class: 'badge', 'aria-label': `${c.unread || 1} unread`}, c.unread > 999 ? '999+' : String(c.unread || '•')) : null)));
}

function leftBack(title) {
  return h('div', {class: 'pane-head'},
    h('button', {class: 'icon-btn', 'data-key': 'back', 'aria-label': 'Back', onclick: () => { S.leftView = 'chats'; renderLeft(); el.left.querySelector('h1')?.focus(); }}, icon('back')),
    h('h1', {tabindex: '-1'}, title));
}

function renderRequests() {
  const list = h('ul', {class: 'list', 'aria-label': 'Message requests'});
  for (const c of S.requests) list.append(h('li', null, convRow(c, true)));
  for (const g of groups.groupInviteRows()) list.append(h('li', null, g));
  const n = S.requests.length;
  const bulk = n > 1 ? h('div', {class: 'row-actions bulk'},
    h('button', {class: 'btn small ghost', 'data-key': 'decline-all', onclick: () => requestsAll('decline-all',
      `Decline all ${n} requests?`, 'Their messages are deleted. Nobody is told.', 'Decline all')}, 'Decline all'),
    h('button', {class: 'btn small danger', 'data-key': 'block-all', onclick: () => requestsAll('block-all',
      `Block all ${n} senders?`, 'Their requests are deleted and their later messages dropped, on all your devices.', 'Block all')}, 'Block all')) : null;
  replace(el.left, leftBack('Message requests'),
    h('div', {class: 'scroll'}, list.firstChild ? list : h('p', {class: 'empty'}, 'No pending message requests.')), bulk);
}

async function requestsAll(action, title, text, ok) {
  if (!await confirmDialog(title, text, ok, true)) return;
  try {
    const r = await api('POST', `requests/${action}`, {});
    toast(`${r.count} ${action === 'block-all' ? 'blocked' : 'declined'}`);
    if (S.conv?.request) closeConversation();
    await refreshLists();
    S.leftView = 'chats';
    renderLeft();
    focusFirst();
  } catch (e) {
    toast(e.message, true);
  }
}

function renderContacts() {
  const list = h('ul', {class: 'list', 'aria-label': 'Contacts'});
  const shown = S.contacts.filter((c) => c.approved || c.blocked)
    .sort((a, b) => contactName(a).localeCompare(contactName(b)));
  for (const c of shown) {
    const name = contactName(c);
    list.append(h('li', null, h('div', {class: 'item'},
      files.picture(avatar(c.nickname || c.name, c.session_id), c.session_id),
      h('span', {class: 'body'},
        h('span', {class: 'title'}, name),
        h('span', {class: 'preview'}, c.blocked ? 'Blocked' : (c.nickname && c.name ? c.name : shortID(c.session_id)))),
      h('span', {class: 'contact-actions'},
        h('button', {class: 'btn small ghost', 'data-key': 'm' + c.session_id, 'aria-label': `Message ${name}`, onclick: () => openConversation(c.session_id)}, 'Message'),
        h('button', {class: 'btn small ghost', 'data-key': 'n' + c.session_id, 'aria-label': `Nickname for ${name}`, onclick: () => editNickname(c)}, 'Nickname'),
        c.blocked
          ? h('button', {class: 'btn small ghost', 'data-key': 'u' + c.session_id, 'aria-label': `Unblock ${name}`, onclick: () => contactAction(c.session_id, 'unblock')}, 'Unblock')
          : h('button', {class: 'btn small danger', 'data-key': 'b' + c.session_id, 'aria-label': `Block ${name}`, onclick: () => confirmBlock(c.session_id, name)}, 'Block')))));
  }
  replace(el.left, leftBack('Contacts'),
    h('div', {class: 'scroll'}, shown.length ? list : h('p', {class: 'empty'}, "You don't have any contacts yet.")));
}

function contactName(c) {
  return c.nickname || c.name || shortID(c.session_id);
}

function focusFirst() {
  el.left.querySelector('h1')?.focus();
}

async function contactAction(id, action) {
  try {
    await api('POST', `conversations/${id}/${action}`, {});
    toast({block: 'Blocked', unblock: 'Unblocked', accept: 'Accepted', decline: 'Request deleted'}[action] || 'Done');
    await refreshLists();
    renderLeft();
    if (S.openID === id && S.mainView === 'conversation') {
      if (action === 'decline') closeConversation();
      else await reloadConversation(false);
    }
  } catch (e) {
    toast(e.message, true);
  }
}

// ---------- dialogs ----------

function dialog(title, body, actions) {
  const d = h('dialog', {'aria-label': title},
    h('div', {class: 'dlg'}, h('h2', null, title), body, h('div', {class: 'row-actions'}, actions)));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}

function confirmDialog(title, text, okLabel, danger) {
  return new Promise((resolve) => {
    let result = false;
    const d = dialog(title, h('p', null, text), [
      h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
      h('button', {class: `btn ${danger ? 'danger' : 'primary'}`, onclick: () => { result = true; d.close(); }}, okLabel),
    ]);
    d.addEventListener('close', () => resolve(result));
  });
}

async function confirmBlock(id, name) {
  if (await confirmDialog(`Block ${name}?`, 'You will no longer receive their messages. You can unblock them later in Contacts.', 'Block', true)) {
    await contactAction(id, 'block');
  }
}

function editNickname(c) {
  const input = h('input', {class: 'input', id: 'nickname', maxlength: '100', value: c.nickname || ''});
  const err = h('p', {class: 'error', 'aria-live': 'polite'});
  const form = h('form', {method: 'dialog'},
    h('div', {class: 'field'}, h('label', {for: 'nickname'}, 'Nickname'), input,
      h('p', {class: 'muted small'}, 'Only you see it. Leave it empty to use their own name.')), err);
  const d = dialog(`Nickname for ${contactName(c)}`, form, [
    h('button', {class: 'btn ghost', type: 'button', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn primary', type: 'button', onclick: save}, 'Save'),
  ]);
  async function save() {
    try {
      await api('POST', `contacts/${c.session_id}/nickname`, {nickname: input.value});
      d.close();
      await refreshLists();
      renderLeft();
      if (S.openID === c.session_id && S.mainView === 'conversation') await reloadConversation(false);
    } catch (e) {
      err.textContent = e.message;
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  input.focus();
  input.select();
}

// ---------- main pane ----------

function renderMain() {
  if (S.mainView === 'conversation') return;
  if (S.mainView === 'settings') return renderSettings();
  if (S.mainView === 'new') return renderNew();
  if (S.mainView === 'newgroup') return groups.renderNewGroup();
  if (S.mainView === 'group') return;
  const me = S.state.account;
  replace(el.main, h('div', {class: 'welcome'}, h('div', {class: 'inner'},
    h('img', {src: 'icon.svg', alt: ''}),
    h('h2', null, me.display_name ? `Welcome, ${me.display_name}` : 'Welcome to Session'),
    h('p', {class: 'muted'}, 'Choose a conversation, or press + to write to someone. Give people your Session ID so they can write to you:'),
    h('p', {class: 'id-box', 'data-testid': 'my-session-id'}, me.session_id),
    h('div', {class: 'row-actions'}, h('button', {class: 'btn ghost', onclick: () => copyText(me.session_id, 'Session ID')}, icon('copy'), 'Copy')))));
}

function closeConversation() {
  el.conv = null;
  S.mainView = 'welcome';
  S.openID = '';
  S.conv = null;
  showMain(false);
  renderLeft();
  renderMain();
}

function mainBack() {
  return h('button', {class: 'icon-btn only-narrow', 'aria-label': 'Back', onclick: () => {
    closeConversation();
    el.left.querySelector('h1')?.focus();
  }}, icon('back'));
}

// ---------- new message ----------

function openNew() {
  S.mainView = 'new';
  S.openID = '';
  showMain(true);
  renderLeft();
  renderMain();
}

function renderNew() {
  const input = h('input', {class: 'input mono', id: 'new-id', autocomplete: 'off', spellcheck: 'false', placeholder: '05… or a contact’s name', 'aria-describedby': 'new-error'});
  const err = h('p', {class: 'error', id: 'new-error', 'aria-live': 'polite'});
  const next = h('button', {class: 'btn primary', type: 'submit', disabled: true}, 'Next');
  input.addEventListener('input', () => { next.disabled = !input.value.trim(); err.textContent = ''; });
  input.addEventListener('paste', () => setTimeout(() => { next.disabled = !input.value.trim(); }));
  const form = h('form', {class: 'section', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'new-id'}, 'Session ID'), input, err),
    h('div', {class: 'row-actions'}, next));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api('POST', 'resolve', {who: input.value});
      openConversation(r.session_id, true);
    } catch (ex) {
      err.textContent = ex.message;
      input.focus();
    }
  });
  const echo = S.state.network?.echo_id;
  const contacts = S.contacts.filter((c) => c.approved && !c.blocked);
  replace(el.main,
    h('div', {class: 'pane-head'}, mainBack(), h('h2', null, 'New message')),
    h('div', {class: 'panel'},
      h('p', {class: 'muted'}, 'Enter the Session ID of the person you want to write to (it starts with 05), or the name of one of your contacts.'),
      form,
      convo.noteToSelfEntry(),
      echo ? h('div', {class: 'section'}, h('h3', null, 'Try it out'),
        h('button', {class: 'item', onclick: () => openConversation(echo, true)}, avatar('Echo', echo),
          h('span', {class: 'body'}, h('span', {class: 'title'}, 'Echo'), h('span', {class: 'preview'}, 'A bot on this test network that answers every message')))) : null,
      contacts.length ? h('div', {class: 'section'}, h('h3', null, 'Contacts'),
        h('ul', {class: 'list'}, contacts.map((c) => h('li', null, h('button', {class: 'item', onclick: () => openConversation(c.session_id, true)},
          avatar(c.nickname || c.name, c.session_id), h('span', {class: 'body'}, h('span', {class: 'title'}, contactName(c)))))))) : null));
  input.focus();
}

// ---------- conversation ----------

async function openConversation(id, focusComposer = true) {
  if (groups.isGroupID(id)) return groups.openGroup(id);
  S.mainView = 'conversation';
  S.openID = id;
  S.limit = 100;
  showMain(true);
  renderLeft();
  await reloadConversation(true, focusComposer);
}

async function reloadConversation(fresh, focusComposer) {
  const id = S.openID;
  let conv;
  try {
    conv = await api('GET', `conversations/${id}?limit=${S.limit}`);
  } catch (e) {
    toast(e.message, true);
    return;
  }
  if (S.openID !== id || S.mainView !== 'conversation') return;
  const prev = !fresh && S.conv?.session_id === id ? S.conv.messages : null;
  const keepScroll = prev && el.msgs ? {top: el.msgs.scrollTop, atBottom: atBottom()} : null;
  S.conv = conv;
  if (fresh) el.conv = null;
  renderConversation(prev);
  if (keepScroll && !keepScroll.atBottom) {
    el.msgs.scrollTop = keepScroll.top;
  } else {
    scrollToBottom();
  }
  if (fresh && focusComposer && el.composer && !conv.request) el.composer.focus();
  markRead();
}

function renderConversation(prevMsgs) {
  const c = S.conv;
  const name = displayName(c);
  const p = el.conv;
  const isEcho = S.state.network?.echo_id === c.session_id;
  const headKey = `${name}/${c.blocked}/${isEcho}/${convo.headKey(c)}`;
  const same = p && p.id === c.session_id && p.head.isConnected && el.msgs?.isConnected && prevMsgs && !!p.more === !!c.more;
  if (same) {
    // An update of the open conversation: patch the list in place (changed
    // statuses, new messages at the end) instead of rebuilding it, so the
    // scroll position, the focus and a screen reader's place stay.
    patchMessages(prevMsgs);
  } else {
    el.msgs = h('ol', {class: 'messages', 'aria-label': `Messages with ${name}`, role: 'log', 'aria-live': 'polite', tabindex: '0'});
    el.chip = h('button', {class: 'chip', hidden: true, onclick: () => { scrollToBottom(); el.composer?.focus(); }}, 'New messages ↓');
    el.msgs.addEventListener('scroll', () => {
      if (atBottom()) { el.chip.hidden = true; markRead(); }
    });
    if (c.more) {
      el.msgs.append(h('li', {class: 'more'}, h('button', {class: 'btn small ghost', onclick: loadEarlier}, 'Load earlier messages')));
    }
    el.lastDay = '';
    for (const m of c.messages) addMessageEl(m);
  }
  const head = same && p.headKey === headKey ? p.head : h('div', {class: 'pane-head conv-head'}, mainBack(),
    withPicture(avatar(c.name || (isEcho ? 'Echo' : ''), c.session_id), c.session_id),
    h('div', {class: 'who'}, h('span', {class: 'title'}, name),
      h('span', {class: 'sub mono', title: c.session_id}, c.blocked ? 'Blocked' : (isEcho ? 'Bot · answers every message' : c.session_id)),
      convo.subtitleEl(c)),
    h('button', {class: 'icon-btn', 'aria-label': 'Conversation options', onclick: conversationMenu}, icon('more')));
  const kind = c.blocked ? 'blocked' : c.request ? 'request' : 'composer';
  if (p && p.id === c.session_id && p.head.isConnected) {
    // The same conversation, re-rendered for an update: keep the composer
    // (its draft, caret and focus) when it stays.
    if (head !== p.head) p.head.replaceWith(head);
    p.head = head;
    p.headKey = headKey;
    p.more = c.more;
    if (!same) {
      const body = h('div', {class: 'conv-body'}, el.msgs, el.chip, convo.typingEl());
      p.body.replaceWith(body);
      p.body = body;
    }
    if (p.kind !== kind || kind !== 'composer' || p.bottomKey !== bottomKey(c)) {
      const b = bottomBar(c, name, kind);
      p.bottom.replaceWith(b);
      p.bottom = b;
      p.kind = kind;
      p.bottomKey = bottomKey(c);
    }
  } else {
    const b = bottomBar(c, name, kind);
    const body = h('div', {class: 'conv-body'}, el.msgs, el.chip, convo.typingEl());
    el.conv = {id: c.session_id, head, headKey, body, bottom: b, kind, bottomKey: bottomKey(c), more: c.more};
    replace(el.main, head, body, b);
  }
  if (kind !== 'composer') el.composer = null;
  convo.placeNotice(el.msgs, c);
}

function bottomKey(c) {
  return `${c.blocked}/${c.request}/${c.name}`;
}

function bottomBar(c, name, kind) {
  if (kind === 'blocked') {
    return h('div', {class: 'request-bar'}, h('p', null, `You blocked ${name}. Their messages are dropped.`),
      h('div', {class: 'row-actions'}, h('button', {class: 'btn', onclick: () => contactAction(c.session_id, 'unblock')}, 'Unblock')));
  }
  if (kind === 'request') {
    return h('div', {class: 'request-bar', 'data-testid': 'request-bar'},
      h('p', null, `${name} wants to message you. Accept to reply; they will see your display name. Decline deletes the request; Block also drops their later messages.`),
      h('div', {class: 'row-actions'},
        h('button', {class: 'btn primary', onclick: () => contactAction(c.session_id, 'accept')}, 'Accept'),
        h('button', {class: 'btn ghost', onclick: () => contactAction(c.session_id, 'decline')}, 'Decline'),
        h('button', {class: 'btn danger', onclick: () => confirmBlock(c.session_id, name)}, 'Block')));
  }
  return composer();
}

function composer() {
  const max = S.state.limits?.message_bytes || 32768;
  const ta = h('textarea', {rows: '1', 'aria-label': 'Message', placeholder: 'Message', 'data-testid': 'composer'});
  const send = h('button', {class: 'send', 'aria-label': 'Send', title: 'Send (Enter)', disabled: true, onclick: () => sendNow()}, icon('send'));
  const counter = h('p', {class: 'counter', hidden: true, 'aria-live': 'polite'});
  const enc = new TextEncoder();
  function update() {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 160) + 'px';
    const n = enc.encode(ta.value).length;
    send.disabled = !ta.value.trim() || n > max;
    counter.hidden = n < max - 2000;
    counter.textContent = n > max ? `Too long: ${n} of ${max} bytes` : `${max - n} bytes left`;
    counter.classList.toggle('over', n > max);
  }
  const draftFor = S.openID;
  ta.value = S.drafts[draftFor] || '';
  ta.addEventListener('input', () => { S.drafts[draftFor] = ta.value; update(); convo.typingInput(draftFor, ta.value); });
  requestAnimationFrame(update);
  // Enter sends, Shift+Enter is a new line. The line break some input
  // paths insert after a cancelled Enter (a separate "char" event) is
  // swallowed too.
  let swallowBreak = false;
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      swallowBreak = true;
      sendNow();
    }
  });
  ta.addEventListener('beforeinput', (e) => {
    const isBreak = e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph' ||
      (e.inputType === 'insertText' && (e.data === '\n' || e.data === '\r' || e.data === '\r\n'));
    if (swallowBreak && isBreak) e.preventDefault();
    swallowBreak = false;
  });
  ta.addEventListener('keyup', () => { swallowBreak = false; });
  el.composer = ta;
  el.composerUpdate = update;
  const picker = h('input', {type: 'file', hidden: true, multiple: true, 'data-testid': 'attach-input',
    onchange: () => { const fs = [...picker.files]; picker.value = ''; sendFiles(fs); }});
  const attach = h('button', {class: 'attach', 'aria-label': 'Attach a file', title: 'Attach a file (at most 10 MB)',
    onclick: () => picker.click()}, '📎');
  const box = h('div', {class: 'composer'}, attach, picker, ta, send);
  const lp = files.composerPreview(ta);
  el.preview = lp;
  files.loadPreviewSetting();
  return h('div', null, h('div', {class: 'reply-bar', 'data-testid': 'reply-bar'}, replyBarContent()), counter, lp.el, box);
}

// sendFile sends one file, with the composer's text as its caption.
async function sendFile(file) {
  if (file.size > 10_000_000) { toast(`${file.name} is over Session's 10 MB limit.`, true); return; }
  const ta = el.composer;
  const body = ta ? ta.value : '';
  const id = S.openID;
  const [size, thumb] = await Promise.all([files.measure(file), files.thumbnail(file)]);
  const buf = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  if (ta) { ta.value = ''; el.composerUpdate(); }
  delete S.drafts[id];
  const temp = {id: `tmp${++tmpID}`, outgoing: true, body, sent_at: new Date().toISOString(), status: 'sending',
    attachments: [{file_name: file.name, content_type: file.type, size: file.size, downloaded: true, thumb, ...size}]};
  appendMessage(temp, true);
  // While the file is encrypted and uploaded through the onion path, the
  // bubble shows a progress bar, moved by the "progress" events.
  const bar = files.uploadBar(id, file.name);
  el.msgs?.querySelector(`[data-mid="${temp.id}"] .bubble`)?.append(bar);
  try {
    const m = await files.postFile(`conversations/${id}/files`, {name: file.name, data: btoa(bin), body, ...size}, bar);
    replaceMessage(temp.id, m);
    if (m.status === 'failed') toast('File not sent. Press Retry to try again.', true);
  } catch (e) {
    replaceMessage(temp.id, {...temp, status: 'failed', error: e.message});
    toast(e.message, true);
  }
  refreshSoon();
}

let tmpID = 0;

// sendFiles sends files one after another (the caption goes with the
// first); files dropped on the open conversation come here too.
async function sendFiles(list) {
  for (const f of list) await sendFile(f);
}
files.enableDrop(() => !!el.composer?.isConnected, sendFiles);

async function sendNow() {
  const ta = el.composer;
  if (!ta) return;
  const body = ta.value;
  if (!body.trim()) return;
  const max = S.state.limits?.message_bytes || 32768;
  if (new TextEncoder().encode(body).length > max) return;
  ta.value = '';
  el.composerUpdate();
  const id = S.openID;
  delete S.drafts[id];
  convo.typingSent(id);
  const temp = {id: `tmp${++tmpID}`, outgoing: true, body, sent_at: new Date().toISOString(), status: 'sending'};
  appendMessage(temp, true);
  try {
    const req = {body};
    if (S.replyTo && typeof S.replyTo.id === 'number') req.reply_to = S.replyTo.id;
    const preview = el.preview?.take(body);
    if (preview && !req.reply_to) req.preview = preview;
    S.replyTo = null;
    const bar = document.querySelector('[data-testid=reply-bar]');
    if (bar) replace(bar);
    const m = await api('POST', `conversations/${id}/messages`, req);
    replaceMessage(temp.id, m);
    if (m.status === 'failed') toast('Message not sent. Press Retry to try again.', true);
  } catch (e) {
    replaceMessage(temp.id, {...temp, status: 'failed', error: e.message});
    if (!ta.value) { ta.value = body; el.composerUpdate(); }
    toast(e.message, true);
  }
  refreshSoon();
}

function statusText(m) {
  return {sending: 'Sending…', sent: 'Sent', read: 'Read', failed: 'Failed to send'}[m.status] || '';
}

function messageEl(m) {
  const out = m.outgoing;
  const meta = h('span', {class: 'meta'},
    h('time', {datetime: m.sent_at, title: fullTime(m.sent_at)}, msgTime(m.sent_at)),
    convo.metaMarks(m),
    m.time_unverified ? h('span', {title: 'The sender’s clock was far off: this is when the network stored it.'}, '· time unverified') : null,
    out ? h('span', {class: m.status === 'failed' ? 'failed' : '', 'data-status': m.status}, statusText(m)) : null,
    out && m.status === 'failed' && typeof m.id === 'number'
      ? h('button', {class: 'retry', 'aria-label': 'Retry sending', title: m.error || '', onclick: () => retry(m.id)}, 'Retry') : null);
  const real = typeof m.id === 'number' && !m.deleted && m.status !== 'sending' && m.status !== 'failed';
  const bubble = m.deleted
    ? h('div', {class: 'bubble deleted', 'data-testid': 'message-body'}, 'This message was deleted')
    : h('div', {class: 'bubble', 'data-testid': 'message-body'}, quoteEl(m), linkify(m.body), files.previewEl(m, openLink),
      (m.attachments || []).map((a, i) => attachmentEl(m, a, i)));
  return h('li', {class: `msg ${out ? 'out' : 'in'} ${m.status === 'failed' ? 'failed' : ''}`, 'data-mid': String(m.id)},
    h('span', {class: 'visually-hidden'}, out ? 'You: ' : `${displayName(S.conv)}: `),
    bubble, reactionsEl(m), meta,
    real ? h('span', {class: 'msg-actions'},
      h('button', {class: 'act', 'aria-label': 'Reply', title: 'Reply', onclick: () => startReply(m)}, '↩'),
      h('button', {class: 'act', 'aria-label': 'React', title: 'React', onclick: () => pickReaction(m)}, '☺'),
      h('button', {class: 'act', 'aria-label': 'Delete', title: 'Delete', onclick: () => deleteMessage(m)}, '🗑'),
      convo.editButton(m)) : null);
}

// The conversation features (issue 15): quotes, reactions, delete, search.
const REACTIONS = ['😂', '🥰', '😢', '😡', '😮', '😈'];

function whoName(id) {
  return id === S.state.account?.session_id ? 'You' : displayName(S.conv);
}

function quoteEl(m) {
  const q = m.quote;
  if (!q) return null;
  return h('button', {class: 'quote', 'data-testid': 'quote', title: 'Show the original',
    onclick: () => jumpTo(q.id, m.id)},
  h('strong', null, whoName(q.from)), h('span', null, q.id ? q.body : 'Original message not found'));
}

// jumpTo scrolls to message id and highlights it; the reply gets a way back.
function jumpTo(id, from) {
  const li = id && el.msgs.querySelector(`li.msg[data-mid="${id}"]`);
  if (!li) { toast('The original message is not on this device.', true); return; }
  li.scrollIntoView({block: 'center'});
  li.classList.add('flash');
  setTimeout(() => li.classList.remove('flash'), 1500);
  if (from && !li.querySelector('.back')) {
    const back = h('button', {class: 'act back', onclick: () => { back.remove(); jumpTo(from); }}, 'Back to the reply');
    li.append(back);
  }
}

function reactionsEl(m) {
  const groups = new Map();
  for (const r of m.reactions || []) groups.set(r.emoji, [...(groups.get(r.emoji) || []), r.from]);
  if (!groups.size) return null;
  return h('div', {class: 'reactions', 'data-testid': 'reactions'}, [...groups].map(([emoji, froms]) => {
    const mine = froms.includes(S.state.account?.session_id);
    return h('button', {class: `reaction ${mine ? 'mine' : ''}`, title: froms.map(whoName).join(', '),
      onclick: () => react(m, emoji, mine)}, `${emoji} ${froms.length}`);
  }));
}

function pickReaction(m) {
  const d = dialog('React', h('div', {class: 'emoji-row'}, REACTIONS.map((e) =>
    h('button', {class: 'emoji', 'aria-label': e, onclick: () => { d.close(); react(m, e, false); }}, e))),
  [h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel')]);
}

async function react(m, emoji, remove) {
  try {
    await api('POST', `messages/${m.id}/react`, {emoji, remove});
  } catch (e) { toast(e.message, true); }
  reloadConversation(true, false);
}

async function deleteMessage(m) {
  let choice = '';
  const d = dialog('Delete message', h('p', null, m.outgoing
    ? 'Delete it from this device only, or for everyone (it then shows as deleted everywhere)?'
    : 'Delete it from this device?'), [
    h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Cancel'),
    h('button', {class: 'btn danger', onclick: () => { choice = 'me'; d.close(); }}, 'Delete for me'),
    m.outgoing ? h('button', {class: 'btn danger', onclick: () => { choice = 'everyone'; d.close(); }}, convo.selfName(S.conv) ? 'Delete on all my devices' : 'Delete for everyone') : null,
  ]);
  d.addEventListener('close', async () => {
    if (!choice) return;
    try {
      await api('POST', `messages/${m.id}/delete`, {everyone: choice === 'everyone'});
    } catch (e) { toast(e.message, true); }
    reloadConversation(true, false);
  });
}

function startReply(m) {
  S.replyTo = m;
  const bar = document.querySelector('[data-testid=reply-bar]');
  if (bar) replace(bar, replyBarContent());
  el.composer?.focus();
}

function replyBarContent() {
  const m = S.replyTo;
  if (!m || m.conversation !== S.openID && m.conversation) return [];
  return [h('span', null, `Replying to ${m.outgoing ? 'yourself' : displayName(S.conv)}: `, (m.body || '').slice(0, 80)),
    h('button', {class: 'act', 'aria-label': 'Cancel reply', onclick: () => startReply(null)}, '×')];
}

async function openSearch() {
  const input = h('input', {type: 'search', 'aria-label': 'Search messages', placeholder: 'Search messages'});
  const results = h('ul', {class: 'search-results', 'data-testid': 'search-results'});
  // Opened from a conversation, the search stays inside it unless unticked.
  const here = S.mainView === 'conversation' ? S.conv?.session_id : '';
  const only = h('input', {type: 'checkbox', id: 'search-here', checked: !!here});
  only.addEventListener('change', () => input.dispatchEvent(new Event('input')));
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!input.value.trim()) { replace(results); return; }
      try {
        const r = await api('GET', `search?q=${encodeURIComponent(input.value)}${here && only.checked ? `&in=${here}` : ''}`);
        replace(results, r.messages.length ? r.messages.map((m) => h('li', null,
          h('button', {class: 'result', onclick: async () => { d.close(); await openConversation(m.conversation, false); setTimeout(() => jumpTo(m.id), 300); }},
            h('time', null, fullTime(m.sent_at)), ' ', m.body))) : h('li', null, 'No messages found'));
      } catch (e) { replace(results, h('li', null, e.message)); }
    }, 200);
  });
  const d = dialog('Search', h('div', null, input,
    here ? h('label', {class: 'check', for: 'search-here'}, only, h('span', null, 'Only this conversation')) : null, results), [h('button', {class: 'btn ghost', onclick: () => d.close()}, 'Close')]);
  input.focus();
}

// linkEl is a message's link (markdown.js finds them, http and https
// only): it opens in a new tab without access to this page (noopener), and
// only after the full address was shown and confirmed, since a link's text
// can look like one site and lead to another.
function linkEl(url, text) {
  return h('a', {href: url, target: '_blank', rel: 'noopener noreferrer', class: 'link', title: url,
    onclick: (e) => { e.preventDefault(); openLink(url); }}, text);
}

// linkify renders a message body: Markdown-lite, links through linkEl
// (groups.js shows group messages with it too).
function linkify(text) {
  return renderMarkdown(text, {link: linkEl});
}

async function openLink(url) {
  if (await confirmDialog('Open this link?', url, 'Open', false)) {
    window.open(url, '_blank', 'noopener,noreferrer');
  }
}

// withPicture puts a profile picture over an avatar's initial, when this
// device has one (an approved contact's, or yours).
function withPicture(av, id, bust) {
  av.append(h('img', {src: `/api/avatars/${encodeURIComponent(id)}${bust ? `?v=${bust}` : ''}`, alt: '', class: 'avatar-img',
    'data-testid': 'avatar-picture', onerror: (e) => e.target.remove()}));
  return av;
}

function lightbox(url, name) {
  const d = dialog(name, h('img', {src: url, alt: name, class: 'lightbox-img', 'data-testid': 'lightbox-image'}), [
    h('a', {class: 'btn ghost', href: url, download: name}, 'Download'),
    h('button', {class: 'btn primary', onclick: () => d.close()}, 'Close'),
  ]);
}

function attachmentEl(m, a, i) {
  return files.attachmentEl(m, a, i, {lightbox, api});
}

// addMessageEl appends a message's element, with a date line when the day
// changes.
function addMessageEl(m) {
  const day = dayLabel(m.sent_at);
  if (day !== el.lastDay) {
    el.msgs.append(h('li', {class: 'day', 'aria-hidden': 'true'}, day));
    el.lastDay = day;
  }
  el.msgs.append(messageEl(m));
}

function patchMessages(prevMsgs) {
  const prev = new Map(prevMsgs.map((m) => [String(m.id), m]));
  const next = new Map(S.conv.messages.map((m) => [String(m.id), m]));
  const shown = new Set();
  for (const li of [...el.msgs.querySelectorAll('li.msg')]) {
    const id = li.dataset.mid;
    if (id.startsWith('tmp')) continue; // still being sent: its answer replaces it
    const m = next.get(id);
    if (!m) { li.remove(); continue; }
    shown.add(id);
    const old = prev.get(id);
    if (!old || old.status !== m.status || old.body !== m.body || old.error !== m.error || old.deleted !== m.deleted || old.expires_at !== m.expires_at || old.edited_at !== m.edited_at ||
      JSON.stringify(old.attachments) !== JSON.stringify(m.attachments) || JSON.stringify(old.link_preview) !== JSON.stringify(m.link_preview) ||
      JSON.stringify(old.reactions) !== JSON.stringify(m.reactions)) li.replaceWith(messageEl(m));
  }
  const follow = atBottom();
  let incoming = false;
  for (const m of S.conv.messages) {
    if (shown.has(String(m.id))) continue;
    addMessageEl(m);
    incoming = incoming || !m.outgoing;
  }
  if (follow) scrollToBottom();
  else if (incoming) el.chip.hidden = false;
}

function atBottom() {
  const m = el.msgs;
  return !m || m.scrollHeight - m.scrollTop - m.clientHeight < 60;
}

function scrollToBottom() {
  if (!el.msgs) return;
  el.msgs.scrollTop = el.msgs.scrollHeight;
  if (el.chip) el.chip.hidden = true;
}

// appendMessage adds a message at the bottom. It follows the conversation
// only when the reader is already at the bottom (or sent it); otherwise the
// scroll position stays and a "New messages" chip appears.
function appendMessage(m, mine) {
  if (!el.msgs || !el.msgs.isConnected) return;
  if (el.msgs.querySelector(`[data-mid="${CSS.escape(String(m.id))}"]`)) return;
  const follow = mine || atBottom();
  addMessageEl(m);
  S.conv.messages.push(m);
  if (follow) scrollToBottom();
  else el.chip.hidden = false;
}

function replaceMessage(oldID, m) {
  const old = el.msgs?.querySelector(`[data-mid="${CSS.escape(String(oldID))}"]`);
  if (!old) return;
  if (String(oldID) !== String(m.id) && el.msgs.querySelector(`[data-mid="${CSS.escape(String(m.id))}"]`)) {
    old.remove();
    return;
  }
  const follow = atBottom();
  old.replaceWith(messageEl(m));
  const i = S.conv.messages.findIndex((x) => String(x.id) === String(oldID));
  if (i >= 0) S.conv.messages[i] = m;
  if (follow) scrollToBottom();
}

async function retry(id) {
  const li = el.msgs?.querySelector(`[data-mid="${id}"]`);
  if (li) {
    const st = li.querySelector('[data-status]');
    if (st) { st.textContent = 'Sending…'; st.className = ''; st.dataset.status = 'sending'; }
    li.querySelector('.retry')?.remove();
  }
  try {
    const m = await api('POST', `messages/${id}/retry`, {});
    replaceMessage(id, m);
    if (m.status === 'failed') toast('Still not sent. Check the network status in Settings.', true);
  } catch (e) {
    toast(e.message, true);
    await reloadConversation(false);
  }
  refreshSoon();
}

async function loadEarlier() {
  S.limit += 100;
  const before = el.msgs.scrollHeight;
  const top = el.msgs.scrollTop;
  const conv = await api('GET', `conversations/${S.openID}?limit=${S.limit}`);
  S.conv = conv;
  renderConversation();
  el.msgs.scrollTop = top + (el.msgs.scrollHeight - before);
}

let readTimer = 0;
// readSeen holds, until markRead's timer runs, each conversation whose end
// was on screen with the window in front when markRead was called: what
// the user saw counts as read even if they left the conversation within
// the 300 ms (opened the settings, say, as a new message came).
const readSeen = new Map();

// readable is the open conversation if its end is on screen and the window
// is in front, else null.
function readable() {
  const c = S.conv;
  return c && S.mainView === 'conversation' && document.visibilityState === 'visible' && atBottom() ? c : null;
}

// markRead marks the open conversation read when its end is on screen and
// the window is in front, 300 ms later so that a burst of updates makes
// one request.
function markRead() {
  clearTimeout(readTimer);
  const now = readable();
  if (now) readSeen.set(now.session_id, now);
  readTimer = setTimeout(async () => {
    const c = readable();
    if (c) readSeen.set(c.session_id, c);
    const seen = [...readSeen.values()];
    readSeen.clear();
    for (const c of seen) await postRead(c);
  }, 300);
}

// cancelRead forgets a read of conversation id not sent yet: the user has
// just marked it unread.
function cancelRead(id) {
  readSeen.delete(id);
}

async function postRead(c) {
  const row = S.inbox.find((x) => x.session_id === c.session_id) || S.requests.find((x) => x.session_id === c.session_id);
  const lastIn = c.messages.findLast((m) => !m.outgoing);
  const unseen = lastIn && S.readMarked[c.session_id] !== lastIn.id;
  if (!unseen && !(row && (row.unread > 0 || row.marked_unread))) return;
  if (lastIn) S.readMarked[c.session_id] = lastIn.id;
  try {
    await api('POST', `conversations/${c.session_id}/read`, {});
    // Reading starts after-read timers: the countdowns then show.
    refreshSoon(c.disappearing?.mode === 'read');
  } catch { /* next time */ }
}
document.addEventListener('visibilitychange', markRead);

function conversationMenu() {
  const c = S.conv;
  const name = displayName(c);
  const contact = c.contact || {session_id: c.session_id, name: c.name};
  const d = dialog(name, h('div', {class: 'section'},
    h('p', {class: 'muted small'}, 'Session ID'),
    h('p', {class: 'id-box'}, c.session_id)), [
    h('button', {class: 'btn ghost', onclick: () => { copyText(c.session_id, 'Session ID'); }}, 'Copy Session ID'),
    h('button', {class: 'btn ghost', onclick: () => { d.close(); openSearch(); }}, 'Search messages'),
    convo.menuItems(c, () => d.close()),
    h('button', {class: 'btn ghost', onclick: () => { d.close(); editNickname(contact); }}, 'Nickname'),
    !c.request && S.inbox.some((x) => x.session_id === c.session_id)
      ? h('button', {class: 'btn ghost', onclick: async () => { d.close(); cancelRead(c.session_id); await api('POST', `conversations/${c.session_id}/unread`, {}).catch((e) => toast(e.message, true)); closeConversation(); refreshSoon(); }}, 'Mark unread') : null,
    c.blocked
      ? h('button', {class: 'btn ghost', onclick: () => { d.close(); contactAction(c.session_id, 'unblock'); }}, 'Unblock')
      : h('button', {class: 'btn danger', onclick: () => { d.close(); confirmBlock(c.session_id, name); }}, 'Block'),
    h('button', {class: 'btn primary', onclick: () => d.close()}, 'Close'),
  ]);
}

// ---------- settings ----------

function openSettings() {
  S.mainView = 'settings';
  S.openID = '';
  showMain(true);
  renderLeft();
  renderMain();
}

function updateSettingsName() {
  const n = el.main.querySelector('#settings-name-current');
  if (n) n.textContent = S.state.account.display_name;
}

function renderSettings() {
  const me = S.state.account;
  const nameInput = h('input', {class: 'input', id: 'settings-name', maxlength: '100', value: me.display_name || ''});
  const nameErr = h('p', {class: 'error', 'aria-live': 'polite'});
  const nameForm = h('form', {class: 'section', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'settings-name'}, 'Display name'), nameInput, nameErr),
    h('div', {class: 'row-actions'}, h('button', {class: 'btn primary small', type: 'submit'}, 'Save')));
  nameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api('POST', 'profile', {display_name: nameInput.value});
      S.state.account = r;
      nameErr.textContent = '';
      toast('Display name saved');
      renderLeft();
    } catch (ex) {
      nameErr.textContent = ex.message;
    }
  });
  // Profile picture: shown to your contacts and on your other devices.
  const picBox = h('div', {class: 'row-actions'});
  const showPic = (bust) => replace(picBox, withPicture(avatar(me.display_name, me.session_id), me.session_id, bust), picBtn, picInput);
  const picInput = h('input', {type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true,
    'data-testid': 'avatar-input', onchange: async () => {
      const f = picInput.files[0];
      picInput.value = '';
      if (!f) return;
      const buf = new Uint8Array(await f.arrayBuffer());
      let bin = '';
      for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
      try {
        await api('POST', 'profile/avatar', {name: f.name, data: btoa(bin)});
        toast('Profile picture saved');
        showPic(Date.now());
      } catch (ex) {
        toast(ex.message, true);
      }
    }});
  const picBtn = h('button', {class: 'btn ghost small', onclick: () => picInput.click()}, 'Choose picture');
  showPic(0);
  const picSection = h('section', {class: 'section', 'aria-labelledby': 'pic-h'}, h('h3', {id: 'pic-h'}, 'Profile picture'), picBox);
  const qr = h('img', {class: 'qr', alt: 'QR code of your Session ID', hidden: true});
  const qrBtn = h('button', {class: 'btn ghost small', 'aria-expanded': 'false', onclick: () => {
    qr.hidden = !qr.hidden;
    if (!qr.src) qr.src = '/api/qr.svg';
    qrBtn.setAttribute('aria-expanded', String(!qr.hidden));
    qrBtn.textContent = qr.hidden ? 'Show QR code' : 'Hide QR code';
  }}, 'Show QR code');
  const words = h('div', {class: 'section'});
  const showWords = h('button', {class: 'btn ghost small', onclick: async () => {
    if (!await confirmDialog('Show your recovery password?', 'Anyone who sees your recovery password can take over your account and read your messages. Make sure nobody is looking at your screen.', 'Show')) return;
    try {
      const r = await api('POST', 'recovery-password', {confirm: true});
      replace(words,
        h('p', {class: 'words', 'aria-label': 'Recovery password', role: 'group'}, r.recovery_password),
        h('div', {class: 'row-actions'},
          h('button', {class: 'btn ghost small', onclick: () => copyText(r.recovery_password, 'Recovery password')}, 'Copy'),
          h('button', {class: 'btn ghost small', onclick: () => replace(words, h('div', {class: 'row-actions'}, showWords))}, 'Hide')));
    } catch (ex) {
      toast(ex.message, true);
    }
  }}, 'Show recovery password');
  words.append(h('div', {class: 'row-actions'}, showWords));
  const theme = h('select', {class: 'input', id: 'theme'},
    ['system', 'light', 'dark'].map((t) => h('option', {value: t}, {system: 'Follow the system', light: 'Light', dark: 'Dark'}[t])));
  theme.value = localStorage.getItem('theme') || 'system';
  theme.addEventListener('change', () => { localStorage.setItem('theme', theme.value); applyTheme(); });
  el.netBox = h('div', {class: 'section', 'aria-live': 'polite'});
  replace(el.main,
    h('div', {class: 'pane-head'}, mainBack(), h('h2', {tabindex: '-1'}, 'Settings')),
    h('div', {class: 'panel'},
      h('section', {class: 'section', 'aria-labelledby': 'sid-h'},
        h('h3', {id: 'sid-h'}, 'Your Session ID'),
        h('p', {class: 'id-box', 'data-testid': 'my-session-id'}, me.session_id),
        h('p', {class: 'muted small'}, 'Share it with people so they can write to you. It is not secret.'),
        h('div', {class: 'row-actions'},
          h('button', {class: 'btn ghost small', onclick: () => copyText(me.session_id, 'Session ID')}, icon('copy'), 'Copy'), qrBtn),
        qr),
      h('section', {class: 'section'}, h('h3', null, 'Profile'), nameForm),
      picSection,
      h('section', {class: 'section'}, h('h3', null, 'Recovery password'),
        h('p', {class: 'muted small'}, 'The 13 words that restore your account on another device. Keep them secret.'), words),
      h('section', {class: 'section'}, h('h3', null, 'Privacy'), refuseBox(), convo.privacySwitches()),
      notifySettings(),
      files.previewSettings(api),
      h('section', {class: 'section'}, h('h3', null, 'Appearance'),
        h('div', {class: 'field'}, h('label', {for: 'theme'}, 'Theme'), theme)),
      h('section', {class: 'section'}, h('h3', null, 'Network'), el.netBox),
      h('p', {class: 'muted small'}, `session-go ${S.state.version || ''}`)));
  el.main.querySelector('h2').focus();
  loadNetwork();
}

function refuseBox() {
  const box = h('input', {type: 'checkbox', id: 'refuse', role: 'switch', disabled: true});
  api('GET', 'settings').then((st) => { box.checked = st.refuse_requests; box.disabled = false; }).catch(() => {});
  box.addEventListener('change', async () => {
    try {
      await api('POST', 'settings', {refuse_requests: box.checked});
      toast(box.checked ? 'Message requests are refused' : 'Message requests are welcome');
    } catch (e) {
      box.checked = !box.checked;
      toast(e.message, true);
    }
  });
  return h('label', {class: 'check', for: 'refuse'}, box,
    h('span', null, 'Refuse message requests', h('br'),
      h('span', {class: 'muted small'}, 'Messages from people who are not your contacts are dropped unread. A setting of this device.')));
}

async function loadNetwork() {
  try {
    renderNetwork(await api('GET', 'network'));
  } catch (e) {
    if (el.netBox) replace(el.netBox, h('p', {class: 'error'}, e.message));
  }
}

function renderNetwork(st) {
  S.network = st;
  if (!el.netBox || !el.netBox.isConnected) return;
  const ok = st.connected;
  replace(el.netBox,
    h('p', null, h('span', {class: `dot ${ok ? 'ok' : 'bad'}`, 'aria-hidden': 'true'}),
      ok ? 'Connected through onion routing' : 'Connecting to the network…'),
    st.local ? h('p', {class: 'note'}, 'Local test network: the service nodes run on this computer. It is for trying Session out; only other apps on this computer can reach you.') : null,
    h('dl', {class: 'kv'},
      h('dt', null, 'Service nodes known'), h('dd', null, String(st.nodes)),
      h('dt', null, 'Onion paths'), h('dd', null, String((st.paths || []).length)),
      h('dt', null, 'Proxy'), h('dd', null, st.socks5 ? 'SOCKS5' : 'none'),
      h('dt', null, 'Network file'), h('dd', {class: 'mono small'}, st.network_file || '—')),
    (st.paths || []).length ? h('ol', {class: 'paths mono'}, st.paths.map((p) => h('li', null, p.map((n) => n.address).join(' → ')))) : null,
    st.connection && !st.connection.connected ? h('p', {class: 'error'}, 'Last error: ', st.connection.error || 'unknown') : null,
    (st.warnings || []).length ? h('div', {class: 'section'}, h('h3', null, 'Warnings'),
      h('ul', {class: 'small'}, st.warnings.slice().reverse().map((w) => h('li', null, `${msgTime(w.time)} `, w.text)))) : null);
}

// ---------- live updates ----------

let events = null;

// notifier shows desktop notifications while the tab is hidden (notify.js).
const notifier = new Notifier({
  lists: () => api('GET', 'conversations'),
  nameOf: displayName,
  open: (id) => { if (el.shell?.isConnected) openConversation(id); },
});

function connectEvents() {
  events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    if (!S.online) {
      S.online = true;
      if (el.left) refreshSoon(true);
    }
  });
  events.addEventListener('error', () => {
    if (S.online) {
      S.online = false;
      if (el.left?.isConnected) renderLeft();
    }
  });
  events.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    notifier.message(m);
    convo.messageArrived(m);
    if (S.mainView === 'conversation' && S.conv && m.conversation === S.openID) {
      appendMessage(m, false);
      markRead();
    }
    refreshSoon();
  });
  events.addEventListener('status', (e) => {
    const m = JSON.parse(e.data);
    if (S.mainView === 'conversation' && S.conv && m.conversation === S.openID) {
      if (el.msgs?.querySelector(`[data-mid="${m.id}"]`)) replaceMessage(m.id, m);
    }
    refreshSoon();
  });
  events.addEventListener('request', () => refreshSoon());
  events.addEventListener('typing', (e) => convo.typingEvent(JSON.parse(e.data)));
  events.addEventListener('changed', () => refreshSoon(true));
  events.addEventListener('resync', () => refreshSoon(true));
  events.addEventListener('network', (e) => renderNetwork(JSON.parse(e.data)));
  events.addEventListener('progress', (e) => files.onProgress(JSON.parse(e.data)));
  events.addEventListener('connection', (e) => {
    S.conn = JSON.parse(e.data);
    if (el.left?.isConnected) renderLeft();
    if (el.netBox?.isConnected) loadNetwork();
  });
  events.addEventListener('warning', (e) => {
    toast(JSON.parse(e.data).text, true);
    if (el.netBox?.isConnected) loadNetwork();
  });
  events.addEventListener('account', async () => {
    // Another tab finished onboarding: follow it. This tab's own
    // onboarding goes on (it still has to show the recovery password).
    if (S.onboarding) return;
    if (!S.state?.account) {
      const st = await api('GET', 'state').catch(() => null);
      if (st?.account && !S.onboarding) openShell();
    }
  });
}

// ---------- keyboard ----------

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !document.querySelector('dialog[open]')) {
    if (S.mainView === 'conversation' && el.composer && document.activeElement !== el.composer) {
      el.composer.focus();
    } else if (S.leftView !== 'chats' && el.left?.contains(document.activeElement)) {
      S.leftView = 'chats';
      renderLeft();
      focusFirst();
    }
  }
  if ((e.ctrlKey || e.metaKey) && e.altKey && e.key.toLowerCase() === 'n' && el.shell?.isConnected) {
    e.preventDefault();
    openNew();
  }
});

convo.initConvo({S, api, dialog, displayName, openConversation, close: closeConversation, cancelRead,
  reload: () => reloadConversation(false), refresh: () => refreshSoon(true)});
groups.initGroups({api, S, el, dialog, confirmDialog, renderLeft, showMain, mainBack, closeConversation, contactName, linkify, refreshLists});

start();
