// test_search.mjs: the search page (issue 5) on the demo workspace: "/"
// leads there from a page without a filter field; a German word form that
// occurs nowhere in the texts ("Stromausfälle") finds the messages with
// another form of the word ("Stromausfall"), each hit marked with <mark>,
// customers' text escaped around the marks; a hit opens its conversation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { login, openBrowser, screenshot, startServer, watchPage } from './harness.mjs';

let srv;
let closeBrowser;
let page;
let watch;

before(async () => {
  srv = await startServer({ demo: true, env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  // Markup in a customer's text must come out as text, marks or not.
  await srv.ingest({
    channel: 'api', external_id: 'e2e-search-1', author: { id: 'web-7303', name: 'Bea <b>Fett</b>' },
    text: 'Zweiter <b>Stromausfall</b> diese Woche <img src=x onerror="document.title=1">!',
  });
  ({ page, close: closeBrowser } = await openBrowser({ srv, width: 1280, height: 900 }));
  watch = watchPage(page);
  const res = await login(page, srv);
  assert.ok(res.ok, JSON.stringify(res));
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

test('"/" leads to the search page from a page without a filter field', async () => {
  await page.goto('/profile');
  assert.equal(await page.locator('#q').count(), 0, '/profile has no filter field');
  await Promise.all([page.waitForURL((u) => u.pathname === '/search'), page.keyboard.press('/')]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  assert.ok(await page.locator('#q').isVisible(), 'the search field');
  watch.check();
});

test('a German word form finds the other forms, marked with <mark>', async () => {
  await page.goto('/search');
  await page.locator('#q').fill('Stromausfälle');
  await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'Stromausfälle'),
    page.locator('#q').press('Enter')]);
  assert.equal(await page.locator('#q').inputValue(), 'Stromausfälle', 'the query stays in the field');
  const hits = page.locator('.results .hit');
  const n = await hits.count();
  assert.ok(n >= 4, `${n} hits for "Stromausfälle"`);
  // Every hit has a mark, and every mark is a form of the word searched for.
  for (let i = 0; i < n; i++) {
    const marks = await hits.nth(i).locator('.hit-text mark').allInnerTexts();
    assert.ok(marks.length > 0, `hit ${i} has no <mark>: ${await hits.nth(i).innerText()}`);
    for (const m of marks) assert.match(m, /^stromausf[aä]ll/i, `hit ${i} marks "${m}"`);
  }
  // The plural is in no text: the hits were found by the stem.
  assert.doesNotMatch(await page.locator('.results').innerText(), /Stromausfälle/);
  const mia = hits.filter({ hasText: 'Ecke Ahornweg' });
  assert.equal(await mia.locator('mark').first().innerText(), 'Stromausfall');
  await screenshot(page, 'search');
  watch.check();
});

test('markup in a hit stays text around the marks', async () => {
  if (new URL(page.url()).searchParams.get('q') !== 'Stromausfälle') {
    await page.goto(`/search?q=${encodeURIComponent('Stromausfälle')}`);
  }
  const hit = page.locator('.results .hit', { hasText: 'Zweiter' });
  await hit.waitFor();
  assert.equal(await hit.locator('b, img').count(), 0, 'customer markup became elements');
  assert.match(await hit.locator('.hit-text').innerText(), /Zweiter <b>Stromausfall<\/b> diese Woche <img src=x/);
  assert.equal(await hit.locator('.hit-text mark').innerText(), 'Stromausfall');
  assert.match(await hit.innerText(), /Bea <b>Fett<\/b>/);
  assert.notEqual(await page.title(), '1');
  watch.check();
});

test('a hit opens its conversation at the message', async () => {
  if (new URL(page.url()).searchParams.get('q') !== 'Stromausfälle') {
    await page.goto(`/search?q=${encodeURIComponent('Stromausfälle')}`);
  }
  const hit = page.locator('.results .hit', { hasText: 'Ecke Ahornweg' });
  const link = hit.locator('a.hit-link');
  const href = await link.getAttribute('href');
  const [, conv, msg] = /^\/inbox\/c\/(\d+)#m-(\d+)$/.exec(href) || [];
  assert.ok(conv && msg, `the hit links to ${href}`);
  await Promise.all([page.waitForURL((u) => u.pathname === `/inbox/c/${conv}`), link.click()]);
  const message = page.locator(`#messages #m-${msg}`);
  await message.waitFor();
  assert.match(await message.innerText(), /Stromausfall Lindenstraße \/ Ecke Ahornweg/);
  watch.check();
});
