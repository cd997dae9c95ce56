// test_collision.mjs: the collision warning (issue 5). Two people, each in
// a browser context of their own, open the same conversation: each must see
// within a few seconds that the other is there ("… sieht sich diese
// Unterhaltung gerade an", #presence), and that the other is writing
// ("… schreibt gerade eine Antwort") as soon as they type in the reply box,
// also while other messages keep arriving in the inbox.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  SLOW, eventsOpened, login, newPage, openBrowser, screenshot, startServer, watchPage,
} from './harness.mjs';

// "A few seconds": well below the 10 s between the presence heartbeats of app.js.
const FEW_SECONDS = 4000 * SLOW;

let srv;
let closeBrowser;
let jana; // {user, page, watch}: opens the conversation first
let tim; // opens it second
let id; // the conversation both open

async function person(browser, name, page) {
  const user = await srv.createUser({ role: 'supervisor', name });
  if (!page) ({ page } = await newPage(browser, { srv, width: 1400, height: 900 }));
  const watch = watchPage(page);
  const res = await login(page, srv, user.email, user.password);
  assert.ok(res.ok, JSON.stringify(res));
  return { user, page, watch };
}

// Open the conversation, with the event stream running when this returns.
async function open(who) {
  const opened = eventsOpened(who.page);
  await who.page.goto(`/inbox/c/${id}`);
  await who.page.locator(`#conversation[data-id="${id}"]`).waitFor();
  await opened;
}

// The text of the presence line once it matches re; fails after timeout.
async function presenceMatches(who, re, timeout = FEW_SECONDS) {
  const t0 = Date.now();
  try {
    await who.page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('#presence')?.textContent || ''),
      re.source, { timeout, polling: 50 });
  } catch {
    const now = await who.page.locator('#presence').textContent();
    assert.fail(`after ${timeout} ms the presence line says "${now}", not ${re}`);
  }
  return { text: await who.page.locator('#presence').textContent(), ms: Date.now() - t0 };
}

before(async () => {
  srv = await startServer({ demo: true, env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  const { browser, page, close } = await openBrowser({ srv, width: 1400, height: 900 });
  closeBrowser = close;
  jana = await person(browser, 'Jana Petersen', page);
  tim = await person(browser, 'Tim Krüger');
  const list = await srv.api('GET', '/api/v1/conversations?limit=100');
  id = list.body.data.find((c) => c.subject === 'Fernwärme: Heizung kalt').id;
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

test('the second to open a conversation sees within seconds who is already there', async (t) => {
  await open(jana);
  // Nobody else yet: the line is empty and takes no room.
  assert.equal(await jana.page.locator('#presence').textContent(), '');
  assert.equal(await jana.page.locator('#presence').isVisible(), false);
  await open(tim);
  const seen = await presenceMatches(tim, /^Jana Petersen sieht sich diese Unterhaltung gerade an$/);
  t.diagnostic(`the second saw the first after ${seen.ms} ms`);
  assert.equal(await tim.page.locator('#presence').getAttribute('role'), 'status');
  assert.ok(await tim.page.locator('#presence').isVisible());
});

test('the first sees the second arrive', async (t) => {
  if (new URL(jana.page.url()).pathname !== `/inbox/c/${id}`) await open(jana);
  if (new URL(tim.page.url()).pathname !== `/inbox/c/${id}`) await open(tim);
  const seen = await presenceMatches(jana, /^Tim Krüger sieht sich diese Unterhaltung gerade an$/);
  t.diagnostic(`the first saw the second after ${seen.ms} ms`);
});

test('typing in the reply box tells the other "… schreibt gerade eine Antwort"', async (t) => {
  const box = jana.page.locator('#composer-text');
  await box.click();
  const t0 = Date.now();
  await box.pressSequentially('Guten Tag Frau Baumann, ', { delay: 20 });
  const seen = await presenceMatches(tim, /^Jana Petersen schreibt gerade eine Antwort$/);
  t.diagnostic(`"schreibt" shown ${Date.now() - t0} ms after typing began`);
  await screenshot(tim.page, 'collision-wide');
  assert.ok(seen.text);
  jana.watch.check();
  tim.watch.check();
});

test('the warning stays while other messages arrive in the inbox', async () => {
  const box = jana.page.locator('#composer-text');
  if (!(await box.inputValue())) {
    await box.click();
    await box.pressSequentially('Guten Tag Frau Baumann, ', { delay: 20 });
  }
  await presenceMatches(tim, /schreibt gerade eine Antwort/);
  // A message in another conversation refreshes the list on both screens.
  // Count the settled swaps: this listener comes after app.js's, so when it
  // has counted the list's swap, app.js has handled it too.
  await tim.page.evaluate(() => {
    window.e2eSettled = 0;
    document.addEventListener('htmx:afterSettle', () => { window.e2eSettled += 1; });
  });
  await srv.ingest({
    channel: 'api', external_id: 'e2e-collision-1', author: { id: 'web-7302', name: 'Ole Hansen' },
    text: 'Moin, wann wird bei uns in der Gartenstraße der neue Stromzähler eingebaut?',
  });
  await tim.page.locator('#list .conv', { hasText: 'Ole Hansen' }).waitFor();
  await tim.page.waitForFunction(() => window.e2eSettled > 0);
  const line = await tim.page.locator('#presence').textContent();
  assert.equal(line, 'Jana Petersen schreibt gerade eine Antwort',
    'a new message elsewhere in the inbox cleared the collision warning');
  jana.watch.check();
  tim.watch.check();
});
