// widget.js: cluetrain's chat box for an organisation's own web site.
//
// Embedded with one tag (see docs/channel-widget.md):
//   <script src="https://cluetrain.example/widget/3.js" async></script>
// It finds the server and the channel in its own URL, builds a small chat box
// inside a shadow DOM (so the site's styles and ours do not mix), and talks
// only to the server it was loaded from:
//   GET  /widget/<id>/session   when the visitor opens the box: the visitor
//                               cookie and a form token
//   POST /widget/<id>/messages  a message (with the token and an empty
//                               honeypot field "website")
//   GET  /widget/<id>/messages  the conversation; held open by the server
//                               until something newer exists (long poll),
//                               so replies appear without a reload
// No cookie is set before the visitor opens the box. Message text is only
// ever put into the page with textContent.
(function () {
  'use strict';

  var script = document.currentScript;
  var match = script && /^\/widget\/(\d+)\.js$/.exec(new URL(script.src).pathname);
  if (!match || window.__cluetrainWidget) return;
  window.__cluetrainWidget = true;
  var BASE = new URL(script.src).origin + '/widget/' + match[1];
  var WAIT_S = 25;

  var TEXTS = {
    de: {
      open: 'Fragen? Schreiben Sie uns', close: 'Chat schließen', title: 'Wir sind für Sie da',
      name: 'Name (freiwillig)', email: 'E-Mail (freiwillig, für eine Antwort per Mail)',
      message: 'Ihre Nachricht', send: 'Senden', sending: 'Wird gesendet …',
      failed: 'Die Nachricht konnte nicht gesendet werden.', offline: 'Keine Verbindung – neuer Versuch …',
      you: 'Sie', agent: 'Team', privacy: 'Ihre Nachricht wird mit einem Cookie diesem Gespräch zugeordnet.',
    },
    en: {
      open: 'Questions? Write to us', close: 'Close chat', title: 'We are here for you',
      name: 'Name (optional)', email: 'E-mail (optional, for an answer by mail)',
      message: 'Your message', send: 'Send', sending: 'Sending …',
      failed: 'The message could not be sent.', offline: 'No connection – trying again …',
      you: 'You', agent: 'Team', privacy: 'A cookie links your message to this conversation.',
    },
  };
  var lang = (document.documentElement.lang || navigator.language || 'de').slice(0, 2);
  var t = TEXTS[lang] || TEXTS.de;

  var CSS = [
    ':host { all: initial; position: fixed; right: 16px; bottom: 16px; z-index: 2147483000;',
    '  font: 15px/1.4 system-ui, sans-serif; color: #1d2733; }',
    '.launcher { border: 0; border-radius: 24px; padding: 12px 18px; background: #0b5cad;',
    '  color: #fff; font: inherit; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.25); }',
    '.launcher:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible',
    '  { outline: 3px solid #f0b400; outline-offset: 2px; }',
    '.panel { width: min(360px, calc(100vw - 32px)); max-height: min(560px, calc(100vh - 32px));',
    '  display: flex; flex-direction: column; background: #fff; border-radius: 12px;',
    '  box-shadow: 0 4px 24px rgba(0,0,0,.3); overflow: hidden; }',
    '.panel[hidden], .launcher[hidden] { display: none; }',
    'header { display: flex; align-items: center; gap: 8px; padding: 10px 14px;',
    '  background: #0b5cad; color: #fff; }',
    'header h2 { flex: 1; margin: 0; font-size: 16px; }',
    'header button { border: 0; background: transparent; color: #fff; font-size: 20px; cursor: pointer; }',
    '.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px;',
    '  min-height: 120px; }',
    '.msg { max-width: 85%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap;',
    '  overflow-wrap: anywhere; }',
    '.msg.visitor { align-self: flex-end; background: #dcebfa; }',
    '.msg.agent, .msg.greeting { align-self: flex-start; background: #eef0f2; }',
    '.who { display: block; font-size: 12px; color: #4a5663; }',
    'form { display: flex; flex-direction: column; gap: 6px; padding: 10px 12px; border-top: 1px solid #d5dae0; }',
    'input, textarea { font: inherit; padding: 6px 8px; border: 1px solid #8a96a3; border-radius: 6px; }',
    'textarea { resize: vertical; min-height: 56px; }',
    '.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }',
    '.send { align-self: flex-end; border: 0; border-radius: 6px; padding: 8px 16px;',
    '  background: #0b5cad; color: #fff; font: inherit; cursor: pointer; }',
    '.send:disabled { opacity: .6; cursor: wait; }',
    '.status { min-height: 1.2em; margin: 0; font-size: 13px; color: #a4262c; }',
    '.note { margin: 0; font-size: 12px; color: #4a5663; }',
  ].join('\n');

  // A new element with a class and text (never HTML).
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text) e.textContent = text;
    return e;
  }

  function field(tag, name, label, attrs) {
    var input = el(tag);
    input.name = name;
    input.setAttribute('aria-label', label);
    input.placeholder = label;
    Object.keys(attrs || {}).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    return input;
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // fetch to our server with the visitor cookie; {status, body}.
  function call(method, path, body) {
    var init = { method: method, credentials: 'include', mode: 'cors' };
    if (body) {
      // text/plain keeps the request "simple": no CORS preflight.
      init.headers = { 'Content-Type': 'text/plain;charset=UTF-8' };
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        return { status: res.status, body: json };
      });
    });
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // ---- the box ----------------------------------------------------------------

  var host = el('div');
  host.id = 'cluetrain-widget';
  var root = host.attachShadow({ mode: 'open' });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function') {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el('style', null, CSS));
  }

  var launcher = el('button', 'launcher', t.open);
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  var panel = el('section', 'panel');
  panel.hidden = true;
  panel.setAttribute('aria-label', t.title);
  var header = el('header');
  var title = el('h2', null, t.title);
  var closer = el('button', null, '×');
  closer.type = 'button';
  closer.setAttribute('aria-label', t.close);
  header.append(title, closer);
  var log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  var form = el('form');
  var name = field('input', 'name', t.name, { autocomplete: 'name', maxlength: '100' });
  var email = field('input', 'email', t.email, { type: 'email', autocomplete: 'email', maxlength: '254' });
  var honeypot = field('input', 'website', 'Website', { tabindex: '-1', autocomplete: 'off' });
  var hpBox = el('div', 'hp');
  hpBox.setAttribute('aria-hidden', 'true');
  hpBox.appendChild(honeypot);
  var text = field('textarea', 'text', t.message, { required: '', maxlength: '4000', rows: '3' });
  var status = el('p', 'status');
  status.setAttribute('role', 'status');
  var send = el('button', 'send', t.send);
  send.type = 'submit';
  form.append(name, email, hpBox, text, status, send, el('p', 'note', t.privacy));
  panel.append(header, log, form);
  root.append(launcher, panel);

  // ---- the conversation -------------------------------------------------------

  var session = null; // {token, min_delay_ms, at}
  var shown = {}; // message id -> element
  var last = 0;
  var polling = false;

  // Show a message once; only what the poll brought moves `last` (a message
  // just posted may be newer than a reply the poll has not brought yet).
  function show(m, polled) {
    if (polled && m.id > last) last = m.id;
    if (shown[m.id]) return;
    var box = el('div', 'msg ' + (m.from === 'visitor' ? 'visitor' : 'agent'));
    box.appendChild(el('span', 'who', m.from === 'visitor' ? t.you : (m.author || t.agent)));
    box.appendChild(document.createTextNode(m.text));
    box.dataset.id = String(m.id);
    shown[m.id] = box;
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function startSession() {
    return call('GET', '/session').then(function (res) {
      if (res.status !== 200) throw new Error((res.body && res.body.error && res.body.error.message) || t.failed);
      session = { token: res.body.token, delay: res.body.min_delay_ms || 0, at: Date.now() };
      if (res.body.title) title.textContent = res.body.title;
      if (res.body.greeting && !log.querySelector('.greeting')) {
        log.insertBefore(el('div', 'msg greeting', res.body.greeting), log.firstChild);
      }
    });
  }

  // Read the conversation for ever: each request waits up to WAIT_S seconds
  // on the server for something newer than what is shown.
  function poll() {
    if (polling) return;
    polling = true;
    (function next(failures) {
      call('GET', '/messages?after=' + last + '&wait=' + WAIT_S).then(function (res) {
        if (res.status !== 200) throw new Error('status ' + res.status);
        res.body.messages.forEach(function (m) { show(m, true); });
        if (failures) status.textContent = '';
        next(0);
      }).catch(function () {
        status.textContent = t.offline;
        sleep(Math.min(30000, 1000 * Math.pow(2, failures))).then(function () { next(failures + 1); });
      });
    })(0);
  }

  // Post the message; with an expired token, take a new one and try once more.
  function post(message, retried) {
    var wait = session ? session.delay - (Date.now() - session.at) : 0;
    return sleep(Math.max(0, wait + 50)).then(function () {
      message.token = session.token;
      return call('POST', '/messages', message);
    }).then(function (res) {
      if (res.status === 401 && !retried) {
        return startSession().then(function () { return post(message, true); });
      }
      return res;
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var value = text.value.trim();
    if (!value || send.disabled) return;
    send.disabled = true;
    status.textContent = t.sending;
    var message = {
      text: value, name: name.value.trim(), email: email.value.trim(), website: honeypot.value,
      page: location.origin + location.pathname, client_id: randomId(),
    };
    (session ? Promise.resolve() : startSession()).then(function () {
      return post(message, false);
    }).then(function (res) {
      if (res.status !== 201) {
        throw new Error((res.body && res.body.error && res.body.error.message) || t.failed);
      }
      text.value = '';
      status.textContent = '';
      show({ id: res.body.id, from: 'visitor', text: value }, false);
      poll();
    }).catch(function (err) {
      status.textContent = err.message || t.failed;
    }).then(function () {
      send.disabled = false;
    });
  });

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute('aria-expanded', String(open));
    if (!open) {
      launcher.focus();
      return;
    }
    text.focus();
    if (!session) {
      startSession().then(poll).catch(function (err) { status.textContent = err.message; });
    }
  }

  launcher.addEventListener('click', function () { setOpen(true); });
  closer.addEventListener('click', function () { setOpen(false); });
  panel.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') setOpen(false); });

  function attach() { document.body.appendChild(host); }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
