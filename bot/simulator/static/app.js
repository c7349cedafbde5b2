// The simulator page: pick a demo person, chat with the bot. No framework, no
// network beyond this server. Every text shown comes from api/strings.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    lang: localStorage.getItem('sim.lang') || 'vi',
    strings: {},
    people: [],
    person: null,
    rev: 0,
    msgs: [], // in chat order
    gen: 0, // bumped on every person switch; stale polls stop
    ctrl: null,
    contactRequested: false,
  };

  // t returns the text for key, filling {{.Name}} placeholders from vars.
  function t(key, vars) {
    const s = state.strings[key] ?? key;
    if (!vars) return s;
    return s.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name) => (name in vars ? String(vars[name]) : ''));
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  function applyStrings() {
    document.documentElement.lang = state.lang;
    document.title = t('simulator.title');
    for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
    for (const e of document.querySelectorAll('[data-t-title]')) {
      e.title = t(e.dataset.tTitle);
      e.setAttribute('aria-label', e.title);
    }
    for (const e of document.querySelectorAll('[data-t-placeholder]')) e.placeholder = t(e.dataset.tPlaceholder);
    $('lang').setAttribute('aria-label', t('simulator.lang.label'));
  }

  async function getJSON(url, opts) {
    const r = await fetch(url, opts);
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    if (!r.ok) {
      const err = new Error((body && body.message) || t('simulator.error.generic'));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  async function loadStrings(lang) {
    const j = await getJSON('api/strings?lang=' + encodeURIComponent(lang));
    state.lang = j.lang;
    state.strings = j.strings;
    const sel = $('lang');
    sel.replaceChildren(...j.langs.map((l) => el('option', { value: l.code, textContent: l.name })));
    sel.value = j.lang;
    applyStrings();
    renderPeople();
    renderMessages(false);
  }

  async function loadPeople() {
    state.people = await getJSON('api/people?lang=' + state.lang);
    renderPeople();
    const saved = state.people.find((p) => p.id === localStorage.getItem('sim.person'));
    if (saved && window.matchMedia('(min-width: 701px)').matches) selectPerson(saved);
  }

  function renderPeople() {
    const items = state.people.map((p) => {
      const b = el('button', { type: 'button', class: 'person' + (state.person && state.person.id === p.id ? ' active' : ''), 'data-testid': 'person', 'data-id': p.id },
        el('div', { class: 'name', 'data-testid': 'person-name', textContent: p.name }),
        el('div', { class: 'sub', textContent: [p.role_label, p.unit_label].filter(Boolean).join(' · ') }),
        el('div', { class: 'sub', textContent: p.phone }));
      b.addEventListener('click', () => selectPerson(p));
      return el('li', null, b);
    });
    $('people').replaceChildren(...items);
    $('people-empty').hidden = state.people.length > 0;
  }

  function selectPerson(p) {
    state.person = p;
    localStorage.setItem('sim.person', p.id);
    $('app').classList.remove('no-person');
    $('who-name').textContent = p.name;
    $('who-role').textContent = [p.role_label, p.unit_label].filter(Boolean).join(' · ');
    state.msgs = [];
    state.rev = 0;
    state.contactRequested = false;
    hideError();
    renderPeople();
    renderMessages(true);
    poll();
    $('text').focus();
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // poll long-polls the person's chat until another person is picked.
  async function poll() {
    const gen = ++state.gen;
    if (state.ctrl) state.ctrl.abort();
    const ctrl = new AbortController();
    state.ctrl = ctrl;
    let first = true;
    let delay = 500;
    while (gen === state.gen) {
      try {
        const url = `api/messages?chat_id=${encodeURIComponent(state.person.id)}&after=${state.rev}&lang=${state.lang}`;
        const page = await getJSON(url, { signal: ctrl.signal });
        if (gen !== state.gen) return;
        $('status').hidden = true;
        delay = 500;
        applyPage(page, first);
        first = false;
      } catch (e) {
        if (ctrl.signal.aborted || gen !== state.gen) return;
        if (e.status === 404) { showError(e.message); return; }
        $('status').hidden = false;
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  function applyPage(page, first) {
    if (page.reset) state.msgs = [];
    for (const m of page.messages) {
      const i = state.msgs.findIndex((x) => x.id === m.id);
      const old = i >= 0 ? state.msgs[i] : null;
      if (old) state.msgs[i] = m; else state.msgs.push(m);
      // Toasts answer a tap just made; old ones are not replayed on load.
      if (!first && m.toast && (!old || old.toast !== m.toast || old.rev !== m.rev)) showToast(m.toast);
    }
    state.rev = page.rev;
    state.contactRequested = page.contact_requested;
    renderMessages(page.messages.length > 0);
  }

  function visible(m) {
    return m.text || m.photo_url || m.photo_missing || m.attachment || m.contact || m.location || (m.buttons && m.buttons.length);
  }

  function renderMessages(scroll) {
    const box = $('messages');
    const shown = state.msgs.filter(visible);
    box.replaceChildren(...shown.map(renderMessage));
    $('chat-empty').hidden = !state.person || shown.length > 0;
    $('keyboard').hidden = !state.contactRequested;
    if (scroll) box.scrollTop = box.scrollHeight;
  }

  function renderMessage(m) {
    const bubble = el('div', { class: 'bubble' });
    if (m.photo_url) bubble.append(img(m.photo_url, 'photo'));
    if (m.photo_missing) bubble.append(el('em', { textContent: t('simulator.msg.photo_unavailable') }), '\n');
    if (m.attachment) {
      const a = m.attachment;
      if (a.is_image) bubble.append(img(a.url, 'attachment'));
      bubble.append(el('a', { href: a.url, download: a.name, 'data-testid': 'attachment', textContent: t('simulator.msg.attachment', { Name: a.name }) }));
      if (a.caption && a.caption !== m.text) bubble.append('\n', a.caption);
      if (m.text) bubble.append('\n');
    }
    if (m.contact) bubble.append(t('simulator.msg.contact', { Phone: m.contact.phone }));
    if (m.location) bubble.append(t('simulator.msg.location', { Lat: m.location.lat, Lon: m.location.lon }));
    if (m.text) bubble.append(el('span', { class: 'text', 'data-testid': 'text', textContent: m.text }));
    const meta = [new Date(m.time).toLocaleTimeString(state.lang, { hour: '2-digit', minute: '2-digit' })];
    if (m.edited) meta.unshift(t('simulator.msg.edited'));
    const metaEl = el('div', { class: 'meta', textContent: meta.join(' · ') });
    if (m.failed) metaEl.prepend(el('span', { class: 'failed', textContent: t('simulator.msg.not_delivered') + ' · ' }));
    bubble.append(metaEl);

    const wrap = el('div', { class: 'msg ' + m.from, 'data-testid': 'msg', 'data-from': m.from, 'data-id': m.id }, bubble);
    if (m.buttons && m.buttons.length) {
      const kb = el('div', { class: 'kb' });
      for (const row of m.buttons) {
        kb.append(el('div', { class: 'row' }, ...row.map((b) => {
          if (b.url) {
            return el('a', { class: 'link-button', href: b.url, target: '_blank', rel: 'noopener', 'data-testid': 'link-button', textContent: b.label });
          }
          const btn = el('button', { type: 'button', 'data-testid': 'button', textContent: b.label });
          btn.addEventListener('click', () => send({ callback_data: b.data, message_id: m.id }));
          return btn;
        })));
      }
      wrap.append(kb);
    }
    return wrap;
  }

  function img(src, testid) {
    const i = el('img', { src, alt: '', loading: 'lazy', 'data-testid': testid });
    i.addEventListener('load', () => { const box = $('messages'); box.scrollTop = box.scrollHeight; });
    return i;
  }

  function showError(msg) {
    const e = $('error');
    e.textContent = msg;
    e.hidden = false;
  }
  function hideError() { $('error').hidden = true; }

  let toastTimer = 0;
  function showToast(msg) {
    const e = $('toast');
    e.textContent = msg;
    e.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { e.hidden = true; }, 3000);
  }

  // send posts one action of the current person; it returns whether the server took it.
  async function send(body, form) {
    if (!state.person) return false;
    hideError();
    const url = 'api/send?lang=' + state.lang;
    try {
      if (form) {
        form.append('chat_id', state.person.id);
        form.append('lang', state.lang);
        await getJSON(url, { method: 'POST', body: form });
      } else {
        await getJSON(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ chat_id: state.person.id, lang: state.lang, ...body }),
        });
      }
      return true;
    } catch (e) {
      showError(e.message);
      return false;
    }
  }

  function wire() {
    $('composer').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const input = $('text');
      const text = input.value;
      if (!text.trim()) return;
      input.value = '';
      if (!(await send({ text }))) input.value = text;
      input.focus();
    });
    $('attach-photo').addEventListener('click', () => $('photo-input').click());
    $('photo-input').addEventListener('change', async () => {
      const input = $('photo-input');
      const file = input.files && input.files[0];
      if (!file) return;
      const form = new FormData();
      const caption = $('text').value;
      if (caption.trim()) form.append('caption', caption);
      form.append('photo', file, file.name);
      if (await send(null, form)) $('text').value = '';
      input.value = '';
    });
    $('attach-location').addEventListener('click', () => { $('location-form').hidden = !$('location-form').hidden; });
    $('loc-cancel').addEventListener('click', () => { $('location-form').hidden = true; });
    $('location-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const lat = parseFloat($('loc-lat').value);
      const lon = parseFloat($('loc-lon').value);
      if (await send({ location: { lat, lon } })) $('location-form').hidden = true;
    });
    $('share-contact').addEventListener('click', () => send({ share_contact: true }));
    $('back').addEventListener('click', () => {
      $('app').classList.add('no-person');
      state.gen++;
      if (state.ctrl) state.ctrl.abort();
      state.person = null;
      renderPeople();
    });
    $('lang').addEventListener('change', async () => {
      localStorage.setItem('sim.lang', $('lang').value);
      await loadStrings($('lang').value);
    });
  }

  async function start() {
    wire();
    try {
      await loadStrings(state.lang);
      await loadPeople();
    } catch (e) {
      showError(e.message);
    }
    document.body.dataset.ready = 'true';
  }
  start();
})();
