// test_templates.mjs: approved wording in Chromium (issue 7). A supervisor
// writes a template in the editor and sees the live character counter
// against the channel's limit (red past X's 280 characters, none for
// e-mail); a second supervisor approves it; an agent inserts it in the
// reply box of a conversation with htmx: the text with the contact's name
// (escaped, "<b>Zoë</b> & Co" stays text), the template's id in the hidden
// field, unfilled variables named; emptying the box clears the id. No
// script errors and no Content Security Policy violations on the way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  message, newPage, openBrowser, screenshot, startServer, login, unique, watchPage,
} from './harness.mjs';

const CONTACT = '<b>Zoë</b> & Co';
const TEXT = 'Hallo {{contact.name}}, wir beheben die Störung. Stand: {{incident.status}}';

let srv;
let browser;
let closeBrowser;
let author; // {page, watch}: writes the template
let approver;
let agent;
let templateId;

// A concept that recognises outages and owns German (suggestions follow the
// conversation's language and intent).
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CONCEPT = `name: Sprachregelung im Browser
time_zone: Europe/Berlin
office_hours: {${DAYS.map((d) => `${d}: ["00:00-24:00"]`).join(', ')}}
languages:
  de: {team: Kundenservice}
fallback_team: Kundenservice
teams:
  Kundenservice: {}
intents:
  outage:
    de: {keywords: [stromausfall]}
`;

async function person(role, name, teams) {
  const user = await srv.createUser({ role, name, locale: 'en', teams });
  const { page } = await newPage(browser, { srv, width: 1400, height: 1000 });
  const watch = watchPage(page);
  const res = await login(page, srv, user.email, user.password);
  assert.ok(res.ok, JSON.stringify(res));
  return { user, page, watch };
}

before(async () => {
  srv = await startServer();
  const team = await srv.api('POST', '/api/v1/teams', { name: 'Kundenservice' });
  assert.equal(team.status, 201);
  const concept = await srv.api('POST', '/api/v1/concept/versions',
    { source: CONCEPT, activate: true });
  assert.equal(concept.status, 201, JSON.stringify(concept.body));
  ({ browser, close: closeBrowser } = await openBrowser({ firstPage: false }));
  author = await person('supervisor', 'Sabine Autorin');
  approver = await person('supervisor', 'Peter Pruefer');
  agent = await person('agent', 'Anna Agentin', [team.body.id]);
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

test('the editor counts characters against the channel and saves a template', async () => {
  const { page } = author;
  await page.goto('/templates/new');
  await page.fill('#name', 'stoerung');
  await page.fill('#intents', 'outage');
  const counter = page.locator('#variant-0-text-count');
  await page.selectOption('#variant-0-channel', 'x');
  await page.fill('#variant-0-text', 'ä'.repeat(281));
  assert.match(await counter.textContent(), /^281 \/ 280/);
  assert.ok(await counter.evaluate((el) => el.classList.contains('over')));
  await page.fill('#variant-0-text', 'e\u0301'.repeat(280)); // NFC: 280 characters
  assert.equal(await counter.textContent(), '280 / 280');
  assert.ok(!(await counter.evaluate((el) => el.classList.contains('over'))));
  await page.selectOption('#variant-0-channel', 'email'); // no limit
  assert.equal(await counter.textContent(), '280');
  await page.selectOption('#variant-0-channel', 'any');
  await page.fill('#variant-0-text', TEXT);
  await screenshot(page, 'template-editor', { fullPage: true });
  await Promise.all([page.waitForURL(/\/templates\/\d+\?done=saved$/), page.click('#save-button')]);
  templateId = Number(/\/templates\/(\d+)/.exec(page.url())[1]);
  await Promise.all([page.waitForURL(/done=submitted$/), page.click('#submit-button')]);
  // The author may try to approve and is told why not.
  await Promise.all([page.waitForLoadState('load'), page.click('#approve-button')]);
  assert.match(await page.locator('#workflow-error').textContent(), /Four eyes/);

  await approver.page.goto(`/templates/${templateId}`);
  await Promise.all([approver.page.waitForURL(/done=approved$/),
    approver.page.click('#approve-button')]);
  assert.match(await approver.page.locator('#review-state').textContent(), /OK/);
  assert.deepEqual(author.watch.problems, []);
  assert.deepEqual(approver.watch.problems, []);
});

test('Insert puts the filled template into the reply box', async () => {
  assert.ok(templateId, 'the first test made the template');
  const m = message(unique('tpl'), { text: 'Stromausfall in der Hauptstraße' });
  m.author.name = CONTACT;
  const [{ conversation_id: id }] = await srv.ingest(m);
  const { page } = agent;
  await page.goto(`/inbox/c/${id}`);
  const insert = page.locator(`#insert-${templateId}`);
  await insert.waitFor();
  await insert.click();
  const box = page.locator('#composer-text');
  const filled = TEXT.replace('{{contact.name}}', CONTACT);
  await page.waitForFunction((want) => document.querySelector('#composer-text')?.value === want,
    filled);
  assert.equal(await page.locator('#composer-template').inputValue(), String(templateId));
  assert.equal(await page.locator('#composer-text-count').textContent(),
    String([...filled.normalize('NFC')].length));
  const missing = page.locator('#composer-missing');
  assert.ok(await missing.isVisible());
  assert.match(await missing.textContent(), /\{\{incident\.status\}\}/);
  assert.equal(await page.locator('#composer b').count(), 0); // the name stayed text
  await screenshot(page, 'template-insert');
  // Filling the variable removes the hint; emptying the box drops the template.
  await box.fill(filled.replace('{{incident.status}}', 'in Arbeit'));
  assert.ok(!(await missing.isVisible()));
  await box.fill('');
  assert.equal(await page.locator('#composer-template').inputValue(), '');
  assert.deepEqual(agent.watch.problems, []);
});
