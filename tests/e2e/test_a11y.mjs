// test_a11y.mjs: an accessibility smoke test of the inbox and the open
// conversation (issue 5), on the demo workspace: every form control, link,
// button and image has an accessible name in Chromium's accessibility tree
// (the channel icons are role=img with a label), the conversation has one
// h1, the keyboard's Tab order reaches the reply box (after the skip link),
// and the colours of app.css meet 4.5:1: the pairs of its variables and the
// text as it is drawn on the page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { login, openBrowser, startServer, watchPage } from './harness.mjs';

let srv;
let closeBrowser;
let page;
let watch;
let id; // an open conversation with a reply, a note, priority and tags
let resolvedId;

before(async () => {
  srv = await startServer({ demo: true, env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  const list = (await srv.api('GET', '/api/v1/conversations?limit=100')).body.data;
  id = list.find((c) => c.subject === 'Erhöhung des Abschlags – Widerspruch').id;
  resolvedId = list.find((c) => c.subject === 'Zählerstand Strom').id;
  const calls = [
    ['POST', `/api/v1/conversations/${id}/messages`, { text: 'Guten Tag Frau Hartmann, wir prüfen das.' }],
    ['POST', `/api/v1/conversations/${id}/notes`, { text: 'Abrechnung prüfen.' }],
    ['PATCH', `/api/v1/conversations/${id}`, { priority: 'high', tags: ['abschlag'] }],
    ['PATCH', `/api/v1/conversations/${resolvedId}`, { status: 'resolved' }],
  ];
  for (const [method, path, body] of calls) {
    const res = await srv.api(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  ({ page, close: closeBrowser } = await openBrowser({ srv, width: 1400, height: 900 }));
  watch = watchPage(page);
  const res = await login(page, srv);
  assert.ok(res.ok, JSON.stringify(res));
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

// Chromium's accessibility tree of the page: [{role, name, ignored, ...}].
async function axNodes() {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    return nodes.filter((n) => !n.ignored).map((n) => ({
      role: n.role?.value, name: (n.name?.value || '').trim(), id: n.backendDOMNodeId,
    }));
  } finally {
    await cdp.detach();
  }
}

// Roles that must have a name to be usable with a screen reader.
const NAMED = new Set(['textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio',
  'button', 'link', 'image', 'img', 'spinbutton', 'slider', 'switch', 'dialog', 'region']);
// Landmarks that need a name when the page has more than one of them, each
// its own (a single one may go without; an unnamed form is no landmark).
const LANDMARKS = new Set(['navigation', 'search', 'complementary', 'banner', 'main']);

async function unnamed() {
  const nodes = await axNodes();
  const missing = nodes.filter((n) => NAMED.has(n.role) && !n.name);
  for (const role of LANDMARKS) {
    const all = nodes.filter((n) => n.role === role);
    const names = all.map((n) => n.name);
    if (all.length > 1 && (names.some((x) => !x) || new Set(names).size < names.length)) {
      missing.push({ role, names });
    }
  }
  return { nodes, missing };
}

for (const [what, path] of [['the inbox', () => '/inbox'], ['the open conversation', () => `/inbox/c/${id}`]]) {
  test(`${what}: every control, link, landmark and image has a name`, async () => {
    await page.goto(path());
    const { nodes, missing } = await unnamed();
    assert.deepEqual(missing, [], `without an accessible name: ${JSON.stringify(missing)}`);
    // The form controls are there (so the check above checked something).
    const controls = nodes.filter((n) => ['textbox', 'searchbox', 'combobox', 'button'].includes(n.role));
    assert.ok(controls.length >= 3, `${controls.length} form controls`);
    // Every channel icon is an image named after its channel.
    const icons = await page.locator('.chan').evaluateAll((els) => els.map((el) => ({
      role: el.getAttribute('role'), label: el.getAttribute('aria-label'),
    })));
    assert.ok(icons.length > 20, `${icons.length} channel icons`);
    for (const icon of icons) assert.deepEqual(icon, { role: 'img', label: 'API' });
    assert.ok(nodes.some((n) => n.role === 'image' && n.name === 'API'), 'the icons in the accessibility tree');
    // Labels point at existing controls; ids are unique.
    const problems = await page.evaluate(() => {
      const out = [];
      for (const l of document.querySelectorAll('label[for]')) {
        if (!document.getElementById(l.htmlFor)) out.push(`label for="${l.htmlFor}" has no control`);
      }
      const seen = new Set();
      for (const el of document.querySelectorAll('[id]')) {
        if (seen.has(el.id)) out.push(`id "${el.id}" twice`);
        seen.add(el.id);
      }
      return out;
    });
    assert.deepEqual(problems, []);
    watch.check();
  });
}

test('the conversation has one h1, its subject', async (t) => {
  await page.goto(`/inbox/c/${id}`);
  const h1 = await page.locator('h1').allInnerTexts();
  assert.equal(h1.length, 1, `h1 elements: ${JSON.stringify(h1)}`);
  assert.match(h1[0], /Erhöhung des Abschlags – Widerspruch$/);
  await page.goto('/inbox');
  const inboxH1 = await page.locator('h1').count();
  if (inboxH1 !== 1) t.diagnostic(`the inbox without an open conversation has ${inboxH1} h1 elements`);
});

test('Tab goes to the skip link first and reaches the reply box', async (t) => {
  await page.goto(`/inbox/c/${id}`);
  await page.locator('body').focus();
  const active = () => page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id || '', tag: el?.tagName, text: (el?.textContent || '').trim().slice(0, 40) };
  });
  await page.keyboard.press('Tab');
  const first = await active();
  assert.equal(first.text, 'Zum Inhalt springen', `the first Tab stop: ${JSON.stringify(first)}`);
  assert.ok(await page.locator('.skip').evaluate((el) => el.getBoundingClientRect().left >= 0),
    'the skip link is visible when focused');
  let stops = 1;
  for (; stops < 250; stops++) {
    await page.keyboard.press('Tab');
    if ((await active()).id === 'composer-text') break;
  }
  assert.equal((await active()).id, 'composer-text', `Tab did not reach the reply box in ${stops} stops`);
  t.diagnostic(`the reply box is Tab stop ${stops + 1}`);
  // The focus is visible there (app.css: :focus-visible outline).
  const outline = await page.locator('#composer-text').evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'no visible focus on the reply box');
});

// ---- contrast -------------------------------------------------------------------

// [r, g, b, a] of a CSS colour as the browser computes it ("rgb(…)", "rgba(…)", "#…").
function parse(css) {
  const s = css.trim();
  let m = /^#([0-9a-f]{6})$/i.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)).concat(1);
  m = /^#([0-9a-f]{3})$/i.exec(s);
  if (m) return [...m[1]].map((c) => parseInt(c + c, 16)).concat(1);
  m = /^rgba?\(([^)]+)\)$/.exec(s);
  if (m) {
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  throw new Error(`cannot read the colour ${css}`);
}

function luminance([r, g, b]) {
  const lin = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('the colour variables of app.css: text on its backgrounds meets 4.5:1', async () => {
  await page.goto(`/inbox/c/${id}`);
  const vars = await page.evaluate(() => {
    const cs = getComputedStyle(document.documentElement);
    const out = {};
    for (const v of ['ink', 'muted', 'bg', 'card', 'accent', 'accent-ink', 'warn', 'warn-bg',
      'danger', 'ok', 'note-bg', 'mark']) out[v] = cs.getPropertyValue(`--${v}`);
    return out;
  });
  for (const [k, v] of Object.entries(vars)) assert.ok(v.trim(), `--${k} is not set`);
  const pairs = [
    ['ink', 'bg'], ['ink', 'card'], ['ink', 'note-bg'], ['ink', 'mark'], ['muted', 'bg'],
    ['muted', 'card'], ['muted', 'note-bg'], ['accent', 'card'], ['accent', 'bg'],
    ['accent-ink', 'accent'], ['warn', 'warn-bg'], ['danger', 'card'], ['ok', 'card'],
  ];
  const low = pairs
    .map(([fg, bg]) => ({ fg, bg, ratio: contrast(parse(vars[fg]), parse(vars[bg])) }))
    .filter((p) => p.ratio < 4.5)
    .map((p) => `--${p.fg} on --${p.bg}: ${p.ratio.toFixed(2)}:1`);
  assert.deepEqual(low, []);
});

test('text as drawn on the inbox and the conversation meets 4.5:1', async () => {
  // A filter that lists the resolved conversation too, so that every badge is drawn.
  await page.goto(`/inbox/c/${id}?status=any`);
  await page.locator(`#conv-${resolvedId} .badge.resolved`).waitFor();
  const drawn = await page.evaluate(() => {
    // The colour of the background behind el: its own and its ancestors'
    // backgrounds composed from the page's white upwards.
    const rgba = (css) => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    function background(el) {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let out = [255, 255, 255];
      for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
      return out;
    }
    const out = [];
    const seen = new Set();
    // Every element that draws text of its own, once per selector-like key.
    for (const el of document.querySelectorAll('body *')) {
      if (!el.checkVisibility?.() || el.closest('[aria-hidden="true"], .sr, .skip, dialog:not([open])')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const cs = getComputedStyle(el);
      const key = `${el.tagName}.${el.className}|${cs.color}|${background(el).join()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      out.push({
        what: `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().replace(/\s+/g, '.')}` : ''} "${el.textContent.trim().slice(0, 24)}"`,
        color: rgba(cs.color), bg: background(el), large: size >= 24 || (bold && size >= 18.66),
      });
    }
    return out;
  });
  assert.ok(drawn.length > 30, `${drawn.length} kinds of text`);
  const low = drawn
    .map((d) => ({ ...d, ratio: contrast(d.color, d.bg) }))
    .filter((d) => d.ratio < (d.large ? 3 : 4.5))
    .map((d) => `${d.what}: ${d.ratio.toFixed(2)}:1 (rgb(${d.color.slice(0, 3).join(',')}) on rgb(${d.bg.map(Math.round).join(',')}))`);
  assert.deepEqual(low, [], 'text below the contrast of WCAG AA');
  watch.check();
});
