// test_widget.mjs: the website widget (issue 8) in a real browser. A tiny
// page of a fictional Stadtwerke site, served from its own origin on
// 127.0.0.1, embeds the script from the cluetrain server with one tag; a
// visitor opens the chat box, types a question and sends it; an agent
// replies through the API; the visitor sees the reply without reloading.
// A second visitor (another browser context) sees nothing of it. Saves a
// screenshot of the open chat box.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { SLOW, newPage, openBrowser, screenshot, startServer, watchPage } from './harness.mjs';

let srv;
let site; // the Stadtwerke site: {server, origin}
let browser;
let closeBrowser;
let channel;

// The organisation's page: the embed snippet of docs/channel-widget.md.
function stadtwerkePage(scriptUrl) {
  return `<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>Stadtwerke Musterstadt – Störungen</title></head>
<body>
  <h1>Stadtwerke Musterstadt</h1>
  <p>Aktuelle Störungen im Strom- und Gasnetz.</p>
  <script src="${scriptUrl}" async></script>
</body>
</html>`;
}

// Serve page() on an ephemeral port of 127.0.0.1; {server, origin}.
function startSite(page) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      if (req.url !== '/') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page());
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, origin: `http://127.0.0.1:${server.address().port}` });
    });
  });
}

before(async () => {
  srv = await startServer();
  // The site's port is known only once it listens: serve the page after.
  let html = '';
  site = await startSite(() => html);
  const res = await srv.api('POST', '/api/v1/channels', {
    kind: 'widget',
    name: 'website',
    config: {
      allowed_origins: [site.origin],
      title: 'Stadtwerke Musterstadt',
      greeting: 'Moin! Wie können wir helfen?',
      min_delay_s: 1,
    },
    secrets: {},
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  channel = res.body;
  html = stadtwerkePage(`${srv.url}/widget/${channel.id}.js`);
  ({ browser, close: closeBrowser } = await openBrowser({ firstPage: false }));
});

after(async () => {
  await closeBrowser?.();
  await new Promise((resolve) => (site ? site.server.close(resolve) : resolve()));
  await srv?.stop();
});

// A visitor on the Stadtwerke page; {context, page, watch, widget, calls}
// (calls: the paths the page asked of the cluetrain server).
async function visit() {
  const { context, page } = await newPage(browser, { width: 1000, height: 760 });
  const watch = watchPage(page);
  const calls = [];
  page.on('request', (r) => {
    if (r.url().startsWith(srv.url)) calls.push(new URL(r.url()).pathname);
  });
  await page.goto(site.origin + '/');
  const widget = page.locator('#cluetrain-widget');
  await widget.locator('.launcher').waitFor();
  return { context, page, watch, widget, calls };
}

// The first conversation on the widget channel, waited for.
async function conversationOnWidget() {
  for (const deadline = Date.now() + 5000 * SLOW; Date.now() < deadline;) {
    const res = await srv.api('GET', '/api/v1/conversations?limit=100');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const conv = res.body.data.find((c) => c.channel.id === channel.id);
    if (conv) return conv;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no conversation on the widget channel');
}

test('a visitor asks on the Stadtwerke site and sees the reply live', async () => {
  const anna = await visit();
  const { page, widget } = anna;
  assert.deepEqual(anna.calls, [`/widget/${channel.id}.js`], 'nothing but the script before the chat opens');
  await widget.locator('.launcher').click();
  await widget.locator('.greeting').filter({ hasText: 'Moin! Wie können wir helfen?' }).waitFor();
  await widget.locator('h2', { hasText: 'Stadtwerke Musterstadt' }).waitFor();
  await widget.locator('input[name=name]').fill('Erika Muster');
  const question = 'Wann kommt der Strom in der Hafenstraße wieder? <b>dringend</b>';
  await widget.locator('textarea[name=text]').fill(question);
  await widget.locator('button.send').click();
  // The question is shown as text (the markup stays text) once it is stored.
  const mine = widget.locator('.msg.visitor', { hasText: question });
  await mine.waitFor({ timeout: 10000 * SLOW });
  assert.equal(await widget.locator('.msg.visitor b').count(), 0);

  const conv = await conversationOnWidget();
  assert.equal(conv.contact.name, 'Erika Muster');

  const reply = await srv.api('POST', `/api/v1/conversations/${conv.id}/messages`,
    { text: 'Gegen 9 Uhr ist der Strom wieder da. Ihr Team der Stadtwerke' });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  const answer = widget.locator('.msg.agent', { hasText: 'Gegen 9 Uhr ist der Strom wieder da.' });
  await answer.waitFor({ timeout: 10000 * SLOW });
  assert.equal(page.url(), site.origin + '/', 'no reload, no navigation');
  await screenshot(page, 'widget-stadtwerke');

  // Another visitor sees only the greeting.
  const ben = await visit();
  await ben.widget.locator('.launcher').click();
  await ben.widget.locator('.greeting').waitFor();
  // What Ben's cookie may read, asked at once (the widget's own read is a
  // long poll that waits for something new).
  const seen = await ben.page.evaluate((url) => fetch(url, { credentials: 'include' })
    .then((r) => r.json()), `${srv.url}/widget/${channel.id}/messages?after=0&wait=0`);
  assert.deepEqual(seen.messages, []);
  const annaSees = await page.evaluate((url) => fetch(url, { credentials: 'include' })
    .then((r) => r.json()), `${srv.url}/widget/${channel.id}/messages?after=0&wait=0`);
  assert.deepEqual(annaSees.messages.map((m) => m.from), ['visitor', 'agent']);
  assert.equal(await ben.widget.locator('.msg.visitor, .msg.agent').count(), 0);

  anna.watch.check();
  ben.watch.check();
  await anna.context.close();
  await ben.context.close();
});
