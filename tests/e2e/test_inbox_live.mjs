// test_inbox_live.mjs: the inbox at work on the demo workspace (issue 5):
// new messages appear live, in the list and in the open thread, within a
// second and without a reload; replying, internal notes, assigning, tags and
// resolving from the conversation, checked through the JSON API; and the
// keyboard shortcuts j/k/r/n/a/e, / and ?. Saves the wide screenshot of the
// inbox with a conversation open (docs/screenshots/inbox.png).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  SLOW, eventsOpened, login, openBrowser, screenshot, startServer, watchPage, webhookSink,
} from './harness.mjs';

// The requirement of the issue: a new message is on the screen within a second.
const LIVE_MS = 1000 * SLOW;

let srv;
let sink;
let closeBrowser;
let page;
let watch;
let agent; // Tim Krüger, to assign to
let me; // Jana Petersen, the supervisor at the keyboard

before(async () => {
  srv = await startServer({ demo: true, env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  // Replies of the api channel go to a webhook here, so that they are delivered.
  sink = await webhookSink();
  const patched = await srv.api('PATCH', '/api/v1/channels/1', { config: { webhook_url: sink.url } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  me = await srv.createUser({ role: 'supervisor', name: 'Jana Petersen' });
  agent = await srv.createUser({ role: 'agent', name: 'Tim Krüger' });
  ({ page, close: closeBrowser } = await openBrowser({ srv, width: 1400, height: 900 }));
  watch = watchPage(page);
  const res = await login(page, srv, me.email, me.password);
  assert.ok(res.ok, JSON.stringify(res));
});

after(async () => {
  await closeBrowser?.();
  await sink?.close();
  await srv?.stop();
});

// The id of the demo conversation with this subject.
async function conversationWithSubject(subject) {
  const res = await srv.api('GET', '/api/v1/conversations?limit=100');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const conv = res.body.data.find((c) => c.subject === subject);
  assert.ok(conv, `no open conversation "${subject}"`);
  return conv.id;
}

async function conversation(id) {
  const res = await srv.api('GET', `/api/v1/conversations/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

// Poll the API until check(conversation) is true; the last state otherwise.
async function until(id, check, timeout = 5000 * SLOW) {
  const deadline = Date.now() + timeout;
  let conv;
  do {
    conv = await conversation(id);
    if (check(conv)) return conv;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (Date.now() < deadline);
  return conv;
}

// Mark the document: the mark is gone after a reload or a navigation.
async function markDocument() {
  await page.evaluate(() => { window.e2eDocumentMark = 'still here'; });
}

async function documentMarked() {
  return page.evaluate(() => window.e2eDocumentMark === 'still here');
}

test('a new message appears in the open inbox within a second, without a reload', async (t) => {
  const opened = eventsOpened(page);
  await page.goto('/inbox');
  await opened;
  const before = await page.locator('#list .conv').count();
  assert.ok(before > 20, `the demo workspace lists ${before} conversations`);
  await markDocument();
  const item = page.locator('#list .conv', { hasText: 'Karin Wolff' });
  assert.equal(await item.count(), 0);

  const t0 = Date.now();
  await srv.ingest({
    channel: 'api', external_id: 'e2e-live-1', author: { id: 'web-7301', name: 'Karin Wolff' },
    text: 'Guten Tag, in der Birkenallee 7 ist seit heute Morgen das Warmwasser kalt. ' +
      'Ist das eine Störung bei der Fernwärme?',
  });
  await item.waitFor({ state: 'visible', timeout: 5000 * SLOW });
  const ms = Date.now() - t0;
  t.diagnostic(`new conversation in the list after ${ms} ms`);
  assert.ok(ms <= LIVE_MS, `the new message took ${ms} ms to appear (at most ${LIVE_MS} ms)`);
  assert.ok(await documentMarked(), 'the page was reloaded');
  // Newest activity first, with the text and the waiting badge.
  const first = page.locator('#list .conv').first();
  assert.match(await first.innerText(), /Karin Wolff[\s\S]*Birkenallee 7/);
  assert.match(await first.locator('.badge.due').innerText(), /^wartet /);
  assert.equal(await page.locator('#list .conv').count(), before + 1);
  watch.check();
});

test('a message into the open conversation appears in its thread live', async (t) => {
  const id = await conversationWithSubject('Erhöhung des Abschlags – Widerspruch');
  // Open it from the list, as a person would (htmx swaps the pane in).
  await page.goto('/inbox');
  await markDocument();
  const opened = eventsOpened(page); // the stream is not reopened by htmx
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/inbox/c/${id}`),
    page.locator(`#conv-${id}`).click(),
  ]);
  await page.locator(`#conversation[data-id="${id}"]`).waitFor();
  assert.ok(await documentMarked(), 'opening a conversation reloaded the page');
  assert.equal(await page.locator(`#conv-${id}`).getAttribute('aria-current'), 'true');
  // The heading: the channel's icon (its letter is hidden from screen readers), the subject.
  assert.match(await page.locator('#conversation h1').innerText(), /\sErhöhung des Abschlags – Widerspruch$/);
  assert.equal(await page.locator('#messages .msg.in').count(), 2);
  await Promise.race([opened, new Promise((resolve) => setTimeout(resolve, 200))]);

  const text = 'Anbei noch die Seite der Jahresabrechnung mit dem Verbrauch von 2.870 kWh.';
  const t0 = Date.now();
  await srv.ingest({
    channel: 'api', external_id: 'e2e-live-2', thread_id: 'demo-t04', in_reply_to: 'demo-033',
    author: { id: 'mail-5003', name: 'Sabine Hartmann' }, text,
  });
  const msg = page.locator('#messages .msg.in', { hasText: text });
  await msg.waitFor({ state: 'visible', timeout: 5000 * SLOW });
  const ms = Date.now() - t0;
  t.diagnostic(`new message in the open thread after ${ms} ms`);
  assert.ok(ms <= LIVE_MS, `the message took ${ms} ms to appear in the thread (at most ${LIVE_MS} ms)`);
  assert.ok(await documentMarked(), 'the page was reloaded');
  assert.equal(await page.locator('#messages .msg.in').count(), 3);
  assert.match(await msg.locator('header').innerText(), /Sabine Hartmann/);
  watch.check();
});

test('the open conversation fits a wide screen: nothing scrolls sideways', async () => {
  const id = await conversationWithSubject('Erhöhung des Abschlags – Widerspruch');
  if (new URL(page.url()).pathname !== `/inbox/c/${id}`) await page.goto(`/inbox/c/${id}`);
  const widths = await page.evaluate(() => ['html', '.inbox', '.views', '.list', '#conversation']
    .map((sel) => {
      const el = sel === 'html' ? document.documentElement : document.querySelector(sel);
      return { sel, scroll: el.scrollWidth, client: el.clientWidth };
    }));
  const sideways = widths.filter((w) => w.scroll > w.client);
  assert.deepEqual(sideways, [], `scrolls sideways at 1400 px: ${JSON.stringify(sideways)}`);
});

test('a reply and an internal note from the reply box', async () => {
  const id = await conversationWithSubject('Erhöhung des Abschlags – Widerspruch');
  if (new URL(page.url()).pathname !== `/inbox/c/${id}`) await page.goto(`/inbox/c/${id}`);
  await markDocument();

  // A reply: typed, sent, in the thread, in the API as outbound, sent out.
  const reply = 'Guten Tag Frau Hartmann,\n\nentschuldigen Sie bitte die späte Antwort. ' +
    'Wir prüfen die Erhöhung des Abschlags und melden uns bis Mittwoch bei Ihnen. ' +
    'Bis dahin genügt der bisherige Abschlag von 68 €.\n\nFreundliche Grüße\nJana Petersen';
  const box = page.getByRole('textbox', { name: 'Antwort an Sabine Hartmann' });
  await box.fill(reply);
  await page.getByRole('button', { name: 'Antwort senden' }).click();
  const out = page.locator('#messages .msg.out', { hasText: 'entschuldigen Sie bitte die späte Antwort' });
  await out.waitFor();
  assert.match(await out.locator('header').innerText(), /Jana Petersen/);
  assert.equal(await page.locator('#composer-text').inputValue(), '', 'the reply box is empty again');
  let conv = await until(id, (c) => c.messages.some((m) => m.direction === 'out'));
  const sent = conv.messages.filter((m) => m.direction === 'out');
  assert.equal(sent.length, 1, JSON.stringify(conv.messages));
  assert.equal(sent[0].text, reply);
  assert.equal(sent[0].author.name, 'Jana Petersen');
  conv = await until(id, (c) => c.messages.find((m) => m.direction === 'out').delivery_state === 'sent');
  assert.equal(conv.messages.find((m) => m.direction === 'out').delivery_state, 'sent');
  assert.ok(sink.received.some((r) => JSON.stringify(r).includes('späte Antwort')),
    'the webhook got the reply');

  // An internal note: in yellow across, never sent.
  const note = 'Abrechnung geprüft: Verbrauch gesunken, Abschlag vermutlich falsch berechnet. ' +
    'Tim, bitte mit der Abrechnung klären.';
  await page.locator('#composer-text').fill(note);
  await page.getByRole('button', { name: 'Notiz speichern' }).click();
  const noted = page.locator('#messages .msg.note', { hasText: 'Abschlag vermutlich falsch berechnet' });
  await noted.waitFor();
  assert.match(await noted.locator('header').innerText(), /interne Notiz/);
  conv = await until(id, (c) => c.messages.some((m) => m.direction === 'note'));
  assert.equal(conv.messages.filter((m) => m.direction === 'note').length, 1);
  assert.equal(conv.messages.find((m) => m.direction === 'note').text, note);
  assert.ok(!sink.received.some((r) => JSON.stringify(r).includes('vermutlich falsch')),
    'the note went out through the channel');
  assert.ok(await documentMarked(), 'sending reloaded the page');
  watch.check();
});

test('the thread shows live that the reply went out', async () => {
  // The channel took the reply (delivery_state "sent", announced as
  // message.updated): the thread must say so, without a reload, instead of
  // "wird gesendet".
  const out = page.locator('#messages .msg.out .delivery');
  await out.waitFor();
  const done = /^(zugestellt|gesendet)$/;
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('#messages .msg.out .delivery')?.textContent),
    done.source, { timeout: 3000 * SLOW },
  ).catch(() => {});
  assert.match(await out.innerText(), done,
    `the reply was sent through the channel, the thread says "${await out.innerText()}"`);
  assert.ok(await documentMarked(), 'the page was reloaded');
});

test('assign to a person and a team, set priority and tags, resolve', async () => {
  const id = await conversationWithSubject('Erhöhung des Abschlags – Widerspruch');
  if (new URL(page.url()).pathname !== `/inbox/c/${id}`) await page.goto(`/inbox/c/${id}`);
  await markDocument();
  // One form with selects and the tags, then Save.
  const form = page.locator('form:has(#assignee)');
  await page.getByLabel('Zuständig').selectOption({ label: 'Tim Krüger' });
  await page.getByLabel('Team').selectOption({ label: 'Kundenservice' });
  await page.getByLabel('Priorität').selectOption({ label: 'Hoch' });
  await page.getByLabel('Schlagwörter').fill('abschlag, #beschwerde ,  ');
  await form.getByRole('button', { name: 'Speichern' }).click();
  const teams = (await srv.api('GET', '/api/v1/teams')).body.data;
  const kundenservice = teams.find((t) => t.name === 'Kundenservice').id;
  let conv = await until(id, (c) => c.assignee_id === agent.id && c.team_id === kundenservice &&
    c.tags.length === 2);
  assert.equal(conv.assignee_id, agent.id);
  assert.equal(conv.team_id, kundenservice);
  assert.equal(conv.priority, 'high');
  assert.deepEqual([...conv.tags].sort(), ['abschlag', 'beschwerde']);
  // The pane shows what was saved.
  await page.locator('#conversation .badge', { hasText: '#beschwerde' }).waitFor();
  assert.equal(await page.getByLabel('Zuständig').locator('option:checked').innerText(), 'Tim Krüger');
  assert.equal(await page.getByLabel('Team').locator('option:checked').innerText(), 'Kundenservice');
  assert.equal(await page.getByLabel('Schlagwörter').inputValue(), 'abschlag, beschwerde');
  await page.locator('#conversation .badge.high', { hasText: 'Hoch' }).waitFor();
  assert.ok(await documentMarked(), 'saving reloaded the page');

  await screenshot(page, 'inbox-conversation-wide');

  // Resolve (the button).
  await page.getByRole('button', { name: 'Erledigen' }).click();
  conv = await until(id, (c) => c.status === 'resolved');
  assert.equal(conv.status, 'resolved');
  await page.locator('#conversation .badge.resolved', { hasText: 'Erledigt' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Erledigen' }).count(), 0);
  // It leaves the list of open conversations (live, like any change).
  await page.locator(`#list #conv-${id}`).waitFor({ state: 'detached' });
  watch.check();
});

test('keyboard: j/k move, r and n write, a assigns, e resolves, ? helps, / filters', async () => {
  await page.goto('/inbox');
  const items = page.locator('#list .conv');
  const firstId = await items.nth(0).getAttribute('data-id');
  const secondId = await items.nth(1).getAttribute('data-id');
  // The open conversation is marked in the list once htmx has settled the swap.
  const opened = async (id) => {
    await page.waitForURL((u) => u.pathname === `/inbox/c/${id}`);
    await page.locator(`#conversation[data-id="${id}"]`).waitFor();
    await page.locator(`#list #conv-${id}[aria-current="true"]`).waitFor();
    assert.equal(await page.locator('#list .conv[aria-current="true"]').count(), 1);
  };

  await page.keyboard.press('j');
  await opened(firstId);
  await page.keyboard.press('j');
  await opened(secondId);
  await page.keyboard.press('k');
  await opened(firstId);

  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  const label = page.locator('#composer-mode');
  await page.keyboard.press('r');
  assert.equal(await focused(), 'composer-text');
  assert.match(await label.innerText(), /^Antwort an /);
  await page.keyboard.press('Escape');
  assert.notEqual(await focused(), 'composer-text', 'Escape leaves the text field');

  await page.keyboard.press('n');
  assert.equal(await focused(), 'composer-text');
  assert.equal(await label.innerText(), 'Interne Notiz (wird nie gesendet)');
  assert.equal(await page.locator('form.composer').getAttribute('data-mode'), 'note');
  // "n" was a shortcut, not a letter in the box; Ctrl+Enter sends a note.
  assert.equal(await page.locator('#composer-text').inputValue(), '');
  await page.keyboard.type('Rückruf vereinbart für morgen 9 Uhr.');
  await page.keyboard.press('Control+Enter');
  await page.locator('#messages .msg.note', { hasText: 'Rückruf vereinbart' }).waitFor();
  let conv = await until(Number(firstId), (c) => c.messages.some((m) => m.text.startsWith('Rückruf')));
  assert.equal(conv.messages.find((m) => m.text.startsWith('Rückruf')).direction, 'note');

  // htmx keeps the focus in the new reply box after sending: leave it first.
  await page.keyboard.press('Escape');
  await page.keyboard.press('a');
  assert.equal(await focused(), 'assignee');
  await page.keyboard.press('Escape');

  await page.keyboard.press('e');
  conv = await until(Number(firstId), (c) => c.status === 'resolved');
  assert.equal(conv.status, 'resolved', 'e resolves the open conversation');
  // The pane shows it once htmx has swapped it in; after a swap htmx may put
  // the focus back into a field of the same id, where "?" would be typed.
  await page.locator('#conversation #resolve-button').waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');

  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Tastenkürzel' });
  await help.waitFor();
  assert.match(await help.innerText(), /nächste Unterhaltung/);
  await help.getByRole('button', { name: 'Schließen' }).click();
  await help.waitFor({ state: 'hidden' });

  await page.keyboard.press('/');
  assert.equal(await focused(), 'q');
  assert.equal(await page.locator('#q').inputValue(), '', '"/" was typed into the filter');
  const all = await items.count();
  // The filter searches German word forms: "zähler" finds "Zählerstand".
  await page.keyboard.type('zähler');
  await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'zähler'), page.keyboard.press('Enter')]);
  await page.locator('#list .conv', { hasText: 'Gerda Lindner' }).waitFor();
  const filtered = await items.count();
  assert.ok(filtered > 0 && filtered < all, `${filtered} of ${all} conversations after filtering`);
  watch.check();
});
