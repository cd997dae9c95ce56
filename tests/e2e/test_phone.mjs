// test_phone.mjs: the inbox on a phone, 375 x 812 (issue 5): one pane at a
// time (the list, then the conversation with "Zurück zur Liste"), the
// filters folded behind a button, replying, and no sideways scrolling of
// the page anywhere. Saves docs/screenshots/phone.png's candidate.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  login, openBrowser, screenshot, startServer, watchPage, webhookSink,
} from './harness.mjs';

const WIDTH = 375;

let srv;
let sink;
let closeBrowser;
let page;
let watch;
let id; // the conversation opened

before(async () => {
  srv = await startServer({ demo: true, env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  sink = await webhookSink();
  await srv.api('PATCH', '/api/v1/channels/1', { config: { webhook_url: sink.url } });
  const me = await srv.createUser({ role: 'supervisor', name: 'Jana Petersen' });
  ({ page, close: closeBrowser } = await openBrowser({
    srv, width: WIDTH, height: 812, isMobile: true, hasTouch: true,
  }));
  watch = watchPage(page);
  const res = await login(page, srv, me.email, me.password);
  assert.ok(res.ok, JSON.stringify(res));
  const list = await srv.api('GET', '/api/v1/conversations?limit=100');
  id = list.body.data.find((c) => c.subject === 'Ladesäule Marktplatz außer Betrieb').id;
});

after(async () => {
  await closeBrowser?.();
  await sink?.close();
  await srv?.stop();
});

// The page must not scroll sideways (a part of it may, e.g. the top bar).
// Each test measures at every step and asserts at its end, so that a too
// wide page does not hide whether the rest works.
function sidewaysChecker() {
  const wide = [];
  return {
    async measure(where) {
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
      }));
      if (scroll > WIDTH || client > WIDTH) wide.push(`${where}: ${scroll} px wide (layout viewport ${client} px)`);
    },
    check() {
      assert.deepEqual(wide, [], `the page scrolls sideways on a ${WIDTH} px screen`);
    },
  };
}

test('the list shows first, alone, and the filters fold behind a button', async (t) => {
  const sideways = sidewaysChecker();
  await page.goto('/inbox');
  const list = page.locator('#list');
  assert.ok(await list.isVisible(), 'the list is visible');
  assert.ok(await page.locator('#list .conv').first().isVisible());
  assert.equal(await page.locator('#conversation').isVisible(), false, 'the conversation pane takes no room');
  await sideways.measure('the inbox');
  // The top bar scrolls sideways on its own when it is too long: tell what
  // is off the screen there (see the report of this test).
  const offscreen = await page.evaluate((w) => [...document.querySelectorAll('.top a, .top button')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.right > w || r.left < 0; })
    .map((el) => el.textContent.trim()), WIDTH);
  if (offscreen.length) t.diagnostic(`off the screen in the top bar: ${offscreen.join(', ')}`);

  const toggle = page.getByRole('button', { name: 'Ansichten und Filter' });
  const unassigned = page.getByRole('link', { name: 'Nicht zugewiesen' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await unassigned.isVisible(), false, 'the filters are folded');
  await toggle.tap();
  await unassigned.waitFor();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await sideways.measure('the open filters');
  await toggle.tap();
  await unassigned.waitFor({ state: 'hidden' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  watch.check();
  sideways.check();
});

test('opening a conversation shows it alone, with the way back to the list', async () => {
  const sideways = sidewaysChecker();
  if (new URL(page.url()).pathname !== '/inbox') await page.goto('/inbox');
  await page.locator(`#conv-${id}`).tap();
  await page.waitForURL((u) => u.pathname === `/inbox/c/${id}`);
  await page.locator(`#conversation[data-id="${id}"]`).waitFor();
  const back = page.getByRole('link', { name: /Zurück zur Liste/ });
  await back.waitFor();
  assert.equal(await page.locator('#list').isVisible(), false, 'the list is hidden');
  assert.equal(await page.locator('.views').isVisible(), false, 'the filters are hidden');
  assert.ok(await page.locator('#messages .msg').first().isVisible());
  await sideways.measure('the conversation');
  await screenshot(page, 'phone-conversation');

  await Promise.all([page.waitForURL((u) => u.pathname === '/inbox'), back.tap()]);
  await page.locator('#list').waitFor();
  assert.ok(await page.locator(`#conv-${id}`).isVisible());
  assert.equal(await page.locator('#conversation').isVisible(), false);
  watch.check();
  sideways.check();
});

test('replying works on the phone', async () => {
  const sideways = sidewaysChecker();
  await page.goto(`/inbox/c/${id}`);
  const reply = 'Guten Tag Frau Neumann, danke für den Hinweis! Der Techniker ist für morgen ' +
    'früh bestellt. Bis dahin können Sie an der Ladesäule am Rathaus (Am Markt 1) laden.';
  const box = page.getByRole('textbox', { name: 'Antwort an Petra Neumann' });
  await box.tap();
  await box.fill(reply);
  await sideways.measure('writing a reply');
  await page.getByRole('button', { name: 'Antwort senden' }).tap();
  await page.locator('#messages .msg.out', { hasText: 'Der Techniker ist für morgen' }).waitFor();
  const conv = (await srv.api('GET', `/api/v1/conversations/${id}`)).body;
  const out = conv.messages.filter((m) => m.direction === 'out');
  assert.equal(out.length, 1);
  assert.equal(out[0].text, reply);
  await sideways.measure('after the reply');
  // In one step in the page: a live refresh may replace the thread at any time.
  await page.evaluate(() => document.querySelector('#messages .msg.out')?.scrollIntoView({ block: 'end' }));
  await screenshot(page, 'phone-reply');
  watch.check();
  sideways.check();
});
