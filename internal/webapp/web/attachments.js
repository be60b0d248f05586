// Attachments in the app (issue 12): how a message's files show (pictures
// and videos inline at their aspect ratio, a download button for other
// files, "click to download" for files not fetched yet), progress bars fed
// by the "progress" events of the app's event stream, the size of a
// picture or video measured before it is sent, and dropping files onto a
// conversation.
import {h} from './dom.js';

// The types shown in the page; the server serves only these inline.
export const INLINE_IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const INLINE_VIDEOS = ['video/mp4', 'video/webm'];

// Last progress per file ("mid/index"), so that a bubble re-rendered
// during a transfer shows where it is.
const progressNow = new Map();

export function sizeText(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.ceil(n / 1e3))} kB`;
}

function bar(key, label) {
  const p = progressNow.get(key);
  const el = h('progress', {class: 'att-progress', 'data-file': key, 'aria-label': label, 'data-testid': 'file-progress',
    hidden: !p});
  if (p) { el.max = p.total; el.value = p.done; }
  return el;
}

// uploadBar is the bar of a file being sent from this page, before its
// message has a number: found by conversation and file name.
export function uploadBar(conversation, name) {
  return h('progress', {class: 'att-progress', 'data-upload': `${conversation}/${name}`,
    'aria-label': `Uploading ${name}`, 'data-testid': 'upload-progress'});
}

// onProgress moves the bars of a "progress" event's file.
export function onProgress(p) {
  const key = `${p.message}/${p.index}`;
  const complete = p.done >= p.total;
  if (complete) progressNow.delete(key); else progressNow.set(key, p);
  let bars = [...document.querySelectorAll(`progress[data-file="${CSS.escape(key)}"]`)];
  if (p.upload && p.conversation) {
    bars = bars.concat([...document.querySelectorAll(`progress[data-upload="${CSS.escape(`${p.conversation}/${p.file_name}`)}"]`)]);
  }
  for (const b of bars) {
    b.dataset.onion = '1';
    b.hidden = false;
    b.max = p.total;
    b.value = p.done;
    b.title = `${Math.floor((100 * p.done) / p.total)}% of ${sizeText(p.total)}`;
  }
}

// place reserves a picture's or video's box at its aspect ratio before
// it is loaded (or downloaded), so that the conversation does not jump.
function place(el, a) {
  if (a.width > 0 && a.height > 0) {
    el.style.aspectRatio = `${a.width} / ${a.height}`;
    el.style.width = `min(100%, ${Math.min(320, a.width)}px)`;
  }
  return el;
}

// attachmentEl shows file i of message m. opts.lightbox(url, name) opens
// a picture large (without it, in a new tab: the app serves it sandboxed);
// opts.api, when given, offers the sender "Upload again".
export function attachmentEl(m, a, i, opts) {
  const name = a.file_name || 'file';
  if (typeof m.id !== 'number') {
    // Still being sent from this page: its thumbnail (drawn here) while
    // it goes; its bar is added by the sender.
    if (a.thumb) {
      return place(h('img', {src: a.thumb, alt: name, class: 'att-img sending', 'data-testid': 'sending-thumbnail'}), a);
    }
    return h('div', {class: 'att-file'}, `📎 ${name} (${sizeText(a.size)})`);
  }
  const url = `/api/messages/${m.id}/attachments/${i}`;
  const key = `${m.id}/${i}`;
  const isImage = INLINE_IMAGES.includes(a.content_type);
  const isVideo = INLINE_VIDEOS.includes(a.content_type);
  const card = attachmentCard(m, a, i, opts, url, key, name, isImage, isVideo);
  if (m.outgoing && m.status === 'sent' && a.downloaded && opts.api) {
    // If they cannot download it (the server's copy expired or was
    // damaged), the sender puts it back: same bytes, same address.
    const note = h('span', {class: 'att-note', role: 'status'});
    const again = h('button', {class: 'att-reupload', 'data-testid': 'attachment-reupload',
      title: 'If they cannot download it: put your copy back on the file server',
      onclick: async () => {
        again.disabled = true;
        note.textContent = 'Uploading again…';
        try {
          await opts.api('POST', `messages/${m.id}/reupload`, {});
          note.textContent = 'Uploaded again: they can try again.';
        } catch (e) {
          note.textContent = e.message;
        }
        again.disabled = false;
      }}, 'Upload again');
    return h('div', {class: 'att-wrap'}, card, h('div', {class: 'att-actions'}, again, note, bar(key, `Uploading ${name}`)));
  }
  return card;
}

function attachmentCard(m, a, i, opts, url, key, name, isImage, isVideo) {
  if (a.downloaded && isVideo) {
    // preload=metadata shows the first frame, Session's video thumbnail.
    return place(h('video', {src: url, controls: true, preload: 'metadata', class: 'att-video', 'data-testid': 'attachment-video',
      'aria-label': name, width: a.width || null, height: a.height || null}), a);
  }
  if (a.downloaded && isImage) {
    const open = opts.lightbox || ((u) => window.open(u, '_blank', 'noopener,noreferrer'));
    return h('button', {class: 'att-img-link', 'aria-label': `View ${name}`, onclick: () => open(url, name)},
      place(h('img', {src: url, alt: name, class: 'att-img', loading: 'lazy', 'data-testid': 'attachment-image',
        width: a.width || null, height: a.height || null}), a));
  }
  if (a.downloaded) {
    return h('div', {class: 'att-card', 'data-testid': 'attachment-file'},
      h('span', {class: 'att-name'}, `📄 ${name}`), h('span', {class: 'att-size'}, sizeText(a.size)),
      h('a', {class: 'btn small att-download', href: url, download: name, 'data-testid': 'attachment-download'}, 'Download'));
  }
  // Not on this device: a message request's file (fetched only when the
  // user asks: a stranger must not learn when they are read), one still
  // downloading, or one that failed.
  const status = h('span', {class: 'att-note', role: 'status'}, a.error ? `Not available: ${a.error}` : '');
  const fetchBtn = h('button', {class: 'btn small att-fetch', 'data-testid': 'attachment-fetch',
    onclick: async () => {
      fetchBtn.disabled = true;
      status.textContent = 'Downloading…';
      progress.hidden = false;
      try {
        const r = await fetch(url, {credentials: 'same-origin'});
        if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.statusText);
        await r.arrayBuffer();
        card.replaceWith(attachmentEl(m, {...a, downloaded: true, error: ''}, i, opts));
      } catch (e) {
        status.textContent = `Not available: ${e.message}`;
        fetchBtn.disabled = false;
        progress.hidden = true;
      }
    }}, a.error ? 'Try again' : 'Click to download');
  const progress = bar(key, `Downloading ${name}`);
  const card = h('div', {class: `att-card remote${isImage || isVideo ? ' media' : ''}`, 'data-testid': 'attachment-file'},
    h('span', {class: 'att-name'}, `${isImage ? '🖼' : isVideo ? '🎞' : '📄'} ${name}`), h('span', {class: 'att-size'}, sizeText(a.size)),
    fetchBtn, status, progress);
  return isImage || isVideo ? place(card, a) : card;
}

// measure returns the width and height of a picture or video file, read
// by the browser (for a video, from its first frame's size), or {} when
// it is neither or cannot be read. The library reads PNG, JPEG and GIF
// itself; this covers the rest.
export async function measure(file) {
  try {
    if (file.type.startsWith('image/')) {
      const b = await createImageBitmap(file);
      const out = {width: b.width, height: b.height};
      b.close();
      return out;
    }
    if (INLINE_VIDEOS.includes(file.type)) {
      const u = URL.createObjectURL(file);
      try {
        const v = document.createElement('video');
        v.preload = 'metadata';
        v.muted = true;
        const ok = await new Promise((resolve) => {
          v.onloadedmetadata = () => resolve(true);
          v.onerror = () => resolve(false);
          setTimeout(() => resolve(false), 3000);
          v.src = u;
        });
        return ok && v.videoWidth > 0 ? {width: v.videoWidth, height: v.videoHeight} : {};
      } finally {
        URL.revokeObjectURL(u);
      }
    }
  } catch { /* not readable: sent without a size */ }
  return {};
}

// thumbnail draws a small picture of a picture or video file (a video's
// first frame) for its bubble while it is sent, as Session's apps do on the
// sender: a data: URL, or '' when the browser cannot draw it. It stays in
// this page (Session's messages carry no thumbnail).
export async function thumbnail(file) {
  const draw = (src, w, h) => {
    const scale = Math.min(1, 320 / w);
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(w * scale));
    c.height = Math.max(1, Math.round(h * scale));
    c.getContext('2d').drawImage(src, 0, 0, c.width, c.height);
    return c.toDataURL('image/jpeg', 0.8);
  };
  try {
    if (INLINE_IMAGES.includes(file.type)) {
      const b = await createImageBitmap(file);
      try { return draw(b, b.width, b.height); } finally { b.close(); }
    }
    if (INLINE_VIDEOS.includes(file.type)) {
      const u = URL.createObjectURL(file);
      try {
        const v = document.createElement('video');
        v.muted = true;
        v.preload = 'auto';
        const ok = await new Promise((resolve) => {
          v.onloadeddata = () => resolve(true);
          v.onerror = () => resolve(false);
          setTimeout(() => resolve(false), 3000);
          v.src = u;
        });
        return ok && v.videoWidth > 0 ? draw(v, v.videoWidth, v.videoHeight) : '';
      } finally {
        URL.revokeObjectURL(u);
      }
    }
  } catch { /* not drawable: the bubble shows the name */ }
  return '';
}

// enableDrop makes files dropped anywhere on a conversation (its messages
// or its composer) go to send(files), while accepts() says a composer is
// open.
export function enableDrop(accepts, send) {
  const target = (e) => e.target instanceof Element && e.target.closest('.conv-body, .composer');
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  let shown = null;
  const clear = () => { shown?.classList.remove('drop'); shown = null; };
  document.addEventListener('dragover', (e) => {
    const t = target(e);
    if (!t || !hasFiles(e) || !accepts()) return;
    e.preventDefault();
    const main = t.closest('main, .main, #main') || t.parentElement;
    if (shown !== main) { clear(); shown = main; main.classList.add('drop'); }
  });
  document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) clear(); });
  document.addEventListener('drop', (e) => {
    const t = target(e);
    clear();
    if (!t || !hasFiles(e) || !accepts()) return;
    e.preventDefault();
    const files = [...e.dataTransfer.files];
    if (files.length) send(files);
  });
}

// Profile pictures on this device: Session ID → version (GET /api/avatars).
let pictures = {};

// loadPictures reloads which Session IDs have a profile picture here.
export async function loadPictures() {
  try {
    const r = await fetch('/api/avatars', {credentials: 'same-origin'});
    if (r.ok) pictures = await r.json();
  } catch { /* the lists show initials meanwhile */ }
}

// picture puts id's profile picture over an avatar's initial, when this
// device has one; the version in the address changes with the picture.
export function picture(av, id) {
  const v = pictures[id];
  if (!v) return av;
  av.append(h('img', {src: `/api/avatars/${encodeURIComponent(id)}?v=${v}`, alt: '', class: 'avatar-img',
    'data-testid': 'avatar-picture', onerror: (e) => e.target.remove()}));
  return av;
}

// ---------- link previews ----------

// The link-preview setting, as GET /api/link-previews last said.
let previews = {on: false, proxy: false};

export async function loadPreviewSetting() {
  try {
    const r = await fetch('/api/link-previews', {credentials: 'same-origin'});
    if (r.ok) previews = await r.json();
  } catch { /* off */ }
  return previews;
}

// previewSettings is the settings section: link previews are off by
// default, as in Session, and need the proxy.
export function previewSettings(api) {
  const on = h('input', {type: 'checkbox', id: 'previews-on', role: 'switch', 'data-testid': 'previews-on'});
  const note = h('p', {class: 'muted small', 'aria-live': 'polite'});
  const show = () => {
    on.checked = previews.on;
    on.disabled = !previews.proxy && !previews.on;
    note.textContent = previews.proxy
      ? 'When on, the page of a link you write is fetched through your proxy (never from your own address) and its title sent with the message.'
      : 'Link previews need a SOCKS5 proxy such as Tor (start the app with --socks5): they are never fetched from your own address.';
  };
  on.addEventListener('change', async () => {
    try {
      previews = await api('POST', 'link-previews', {on: on.checked});
    } catch (e) {
      note.textContent = e.message;
    }
    show();
  });
  loadPreviewSetting().then(show);
  show();
  return h('section', {class: 'section', 'aria-labelledby': 'previews-h'},
    h('h3', {id: 'previews-h'}, 'Link previews'),
    h('label', {class: 'check', for: 'previews-on'}, on, h('span', null, 'Send link previews')), note);
}

const URL_RE = /https:\/\/[^\s<>"']+/;

// composerPreview watches a composer's text: with previews on, the first
// https link's preview is fetched (through the proxy, by the app) and
// shown above the composer, with a button to drop it. take(body) returns
// the preview to send with body (if its link is still in it) and clears.
export function composerPreview(ta) {
  const box = h('div', {class: 'compose-preview', 'data-testid': 'compose-preview', hidden: true});
  let current = null; // {url, title, description, site_name}
  let dropped = '';
  let timer = 0;
  let asked = '';
  const render = () => {
    if (!current) { box.hidden = true; box.replaceChildren(); return; }
    box.hidden = false;
    box.replaceChildren(
      current.image_data ? h('img', {class: 'lp-img', src: current.image_data, alt: ''}) : null,
      h('div', {class: 'lp-text'},
        h('strong', {class: 'lp-title'}, current.title || current.url),
        current.description ? h('span', {class: 'lp-desc'}, current.description) : null,
        h('span', {class: 'lp-site'}, current.site_name || new URL(current.url).hostname)),
      h('button', {class: 'icon-btn lp-remove', 'aria-label': 'Remove the link preview', title: 'Remove the preview',
        onclick: () => { dropped = current.url; current = null; render(); }}, '✕'));
  };
  const check = async () => {
    const m = URL_RE.exec(ta.value);
    const url = m ? m[0].replace(/[.,;:!?)\]]+$/, '') : '';
    if (current && current.url !== url) { current = null; render(); }
    if (!url || !previews.on || url === dropped || url === asked || current) return;
    asked = url;
    try {
      const r = await fetch(`/api/link-preview?url=${encodeURIComponent(url)}`, {credentials: 'same-origin'});
      if (!r.ok) return;
      const p = await r.json();
      if (URL_RE.exec(ta.value)?.[0].startsWith(url)) { current = {...p, url}; render(); }
    } catch { /* no preview */ }
  };
  ta.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 500); });
  return {
    el: box,
    take(body) {
      const p = current && body.includes(current.url) ? current : null;
      current = null; dropped = ''; asked = '';
      render();
      return p ? {url: p.url, title: p.title || '', description: p.description || '', site_name: p.site_name || '',
        image: p.image || '', image_data: p.image_data || ''} : null;
    },
  };
}

// previewEl is a message's link preview: a card with the page's title
// and site, opening the link the way the message's links do.
export function previewEl(m, openLink) {
  const p = m.link_preview;
  if (!p || !p.url) return null;
  let host = '';
  try { host = new URL(p.url).hostname; } catch { return null; }
  // Its picture shows once on this device (a message request's is not
  // fetched: the card goes without it).
  const img = p.image && p.image.downloaded && INLINE_IMAGES.includes(p.image.content_type)
    ? place(h('img', {class: 'lp-img', src: `/api/messages/${m.id}/preview-image`, alt: '', loading: 'lazy',
      'data-testid': 'link-preview-image', width: p.image.width || null, height: p.image.height || null}), p.image) : null;
  return h('a', {class: 'link-preview', href: p.url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'link-preview',
    onclick: (e) => { e.preventDefault(); openLink(p.url); }},
  img, h('strong', {class: 'lp-title'}, p.title || p.url), h('span', {class: 'lp-site'}, host));
}

// postFile posts a file to send (its JSON, with the file in base64) with
// XMLHttpRequest, whose upload events move bar on the way from the page to
// the app; the onion upload's "progress" events move it after that.
export function postFile(path, body, bar) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/api/' + path);
    x.setRequestHeader('Content-Type', 'application/json');
    x.upload.onprogress = (e) => {
      if (e.lengthComputable && bar && !bar.dataset.onion) { bar.max = e.total; bar.value = e.loaded; }
    };
    // Then encrypting: no measure until the onion upload starts.
    x.upload.onload = () => { if (bar && !bar.dataset.onion) bar.removeAttribute('value'); };
    x.onload = () => {
      let data = {};
      try { data = JSON.parse(x.responseText); } catch { /* not JSON */ }
      if (x.status >= 200 && x.status < 300) resolve(data);
      else reject(new Error(data.error || x.statusText || `error ${x.status}`));
    };
    x.onerror = () => reject(new Error('The app is not answering: is `session app` still running?'));
    x.send(JSON.stringify(body));
  });
}

// attachControls is a composer's 📎 button and its hidden file input;
// picked files go to send(files).
export function attachControls(send) {
  const picker = h('input', {type: 'file', hidden: true, multiple: true, 'data-testid': 'attach-input',
    onchange: () => { const fs = [...picker.files]; picker.value = ''; if (fs.length) send(fs); }});
  const btn = h('button', {class: 'attach', 'aria-label': 'Attach a file', title: 'Attach a file (at most 10 MB)',
    onclick: () => picker.click()}, '📎');
  return [btn, picker];
}

// fileRequest reads a file to send: the JSON for POST …/files (with body
// as its caption, and its measured size) and how its bubble shows it
// while it is sent. It throws when the file is over Session's limit.
export async function fileRequest(file, body) {
  if (file.size > 10_000_000) throw new Error(`${file.name} is over Session's 10 MB limit.`);
  const [size, thumb] = await Promise.all([measure(file), thumbnail(file)]);
  const buf = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return {
    req: {name: file.name, data: btoa(bin), body, ...size},
    shown: {file_name: file.name, content_type: file.type, size: file.size, downloaded: true, thumb, ...size},
  };
}
