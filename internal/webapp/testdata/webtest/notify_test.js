// Unit tests of web/notify.js, run in chromium by webmodules_test.go.
import {unreadCount, updateTitle, Notifier, settingsSection, contentSetting} from '/web/notify.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function testTitle(t) {
  const inbox = [
    {session_id: 'a', unread: 2},
    {session_id: 'b', unread: 5, muted: true},
    {session_id: 'c', unread: 0, marked_unread: true},
    {session_id: 'd', unread: 0},
  ];
  t.eq(unreadCount(inbox), 3, 'unread count leaves muted conversations out');
  updateTitle(inbox);
  t.eq(document.title, '(3) Session', 'title with unread');
  updateTitle([{session_id: 'a', unread: 250}]);
  t.eq(document.title, '(99+) Session', 'title caps at 99+');
  updateTitle([]);
  t.eq(document.title, 'Session', 'title without unread');
}

// fakeNotifications replaces the browser's Notification with a recorder,
// and makes the page look hidden.
function fakeNotifications() {
  const shown = [];
  class FakeNotification {
    static permission = 'granted';
    constructor(title, opts) { this.title = title; this.body = opts.body; shown.push(this); }
    close() { this.closed = true; }
  }
  const real = window.Notification;
  window.Notification = FakeNotification;
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  return {shown, restore() { window.Notification = real; delete document.visibilityState; }};
}

export async function testNotifications(t) {
  const fake = fakeNotifications();
  try {
    localStorage.setItem('notify', '1');
    localStorage.setItem('notify-content', 'all');
    localStorage.setItem('notified-request', '1');
    const lists = {inbox: [{session_id: 'alice', name: 'Alice'}, {session_id: 'mute', name: 'Muted', muted: true}], requests: []};
    const opened = [];
    const n = new Notifier({lists: async () => lists, nameOf: (r) => r.name, open: (id) => opened.push(id), gatherMs: 20});
    n.message({conversation: 'alice', body: 'hello *there*'});
    n.message({conversation: 'mute', body: 'quiet'});
    n.message({conversation: 'alice', body: 'mine', outgoing: true});
    await sleep(150);
    t.eq(fake.shown.length, 1, 'one notification (muted and outgoing messages leave none)');
    t.eq(fake.shown[0]?.title, 'Alice', 'the title names the sender');
    t.eq(fake.shown[0]?.body, 'hello *there*', 'the body is the text');
    fake.shown[0]?.onclick();
    t.eq(opened.join(), 'alice', 'a click opens the conversation');

    localStorage.setItem('notify-content', 'name');
    n.message({conversation: 'alice', body: 'secret'});
    await sleep(150);
    const last = fake.shown[fake.shown.length - 1];
    t.eq(last.title, '2 new messages', 'name only: the count');
    t.check(!last.body.includes('secret') && last.body.includes('Alice'), `name only: no text (${last.body})`);

    localStorage.setItem('notify-content', 'none');
    n.message({conversation: 'alice', body: 'secret'});
    await sleep(150);
    const none = fake.shown[fake.shown.length - 1];
    t.check(!(none.title + none.body).includes('Alice') && !(none.title + none.body).includes('secret'), `nothing: ${none.title} / ${none.body}`);

    localStorage.setItem('notify', '0');
    const before = fake.shown.length;
    n.message({conversation: 'alice', body: 'off'});
    await sleep(150);
    t.eq(fake.shown.length, before, 'notifications off: none');

    // Requests: only the first one ever, with a generic text.
    localStorage.setItem('notify', '1');
    localStorage.removeItem('notified-request');
    n.message({conversation: 'stranger', body: 'buy now'});
    await sleep(150);
    n.message({conversation: 'stranger', body: 'buy again'});
    await sleep(150);
    const reqs = fake.shown.slice(before);
    t.eq(reqs.length, 1, 'one request notification');
    t.check(reqs[0] && !reqs[0].body.includes('buy'), 'the request notification hides the text');
  } finally {
    fake.restore();
    localStorage.removeItem('notify');
    localStorage.removeItem('notify-content');
  }
}

export function testSettingsSection(t) {
  localStorage.removeItem('notify-content');
  const sec = settingsSection();
  document.body.append(sec);
  try {
    const sel = sec.querySelector('#notify-content');
    t.eq([...sel.options].map((o) => o.textContent).join('|'), 'Name and content|Name only|No name or content', "Session's three choices");
    t.eq(sel.value, 'all', 'name and content by default');
    sel.value = 'none';
    sel.dispatchEvent(new Event('change'));
    t.eq(contentSetting(), 'none', 'the choice is kept');
    t.check(sec.querySelector('#notify-on')?.checked, 'notifications on by default');
    t.check([...sec.querySelectorAll('button')].some((b) => b.textContent === 'Preview notification'), 'a preview button');
    localStorage.setItem('notify-content', '<img src=x>');
    t.eq(contentSetting(), 'all', 'an unknown stored value reads as the default');
  } finally {
    sec.remove();
    localStorage.removeItem('notify-content');
  }
}
