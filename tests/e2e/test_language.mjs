// test_language.mjs: the interface's languages (issue 5): a user whose
// locale is "en" gets English pages with English dates, a German user German
// ones, both in the organisation's time zone; the login page follows ?lang=en;
// switching the language on /profile, or an administrator's change through
// the API, changes the next page. One English user, signed in once: each
// test first sets the locale it starts from.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { login, newPage, openBrowser, startServer, watchPage } from './harness.mjs';

let srv;
let browser;
let closeBrowser;
let conversationId;
let priya; // the English user
let en; // her signed-in page: {context, page, watch}

before(async () => {
  srv = await startServer({ env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  // A message at a known time: 1 July 2026, 10:00 UTC is 12:00 in Berlin (summer time).
  const [m] = await srv.ingest({
    channel: 'api', external_id: 'e2e-lang-1', author: { id: 'fb-1002', name: 'James Whitfield' },
    text: 'Hi, what is an "Abschlag"? My bank statement shows a monthly payment to you.',
    created_at: '2026-07-01T10:00:00Z',
  });
  conversationId = m.conversation_id;
  ({ browser, close: closeBrowser } = await openBrowser({ srv, firstPage: false }));
  priya = await srv.createUser({ role: 'supervisor', name: 'Priya Raman', locale: 'en' });
  assert.equal(priya.locale, 'en');
  en = await signedIn(priya);
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

async function signedIn(user) {
  const { context, page } = await newPage(browser, { srv });
  const watch = watchPage(page);
  const res = await login(page, srv, user.email, user.password);
  assert.ok(res.ok, JSON.stringify(res));
  return { context, page, watch };
}

async function setLocale(user, locale) {
  const res = await srv.api('PATCH', `/api/v1/users/${user.id}`, { locale });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

const lang = (page) => page.locator('html').getAttribute('lang');
const messageTime = (page) => page.locator('#messages .msg time').first().innerText();

test('the login page speaks English with ?lang=en and links back to German', async () => {
  const { context, page } = await newPage(browser, { srv });
  try {
    await page.goto('/login?lang=en');
    assert.equal(await lang(page), 'en');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.ok(await page.getByLabel('E-mail address').isVisible());
    await Promise.all([page.waitForURL((u) => u.searchParams.get('lang') === 'de'),
      page.getByRole('link', { name: 'Deutsch' }).click()]);
    assert.equal(await lang(page), 'de');
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a user with locale "en" sees English, with English dates; a German user German ones', async () => {
  await setLocale(priya, 'en');
  const de = await signedIn(srv.admin); // the administrator of `cluetrain init` speaks German
  try {
    await en.page.goto(`/inbox/c/${conversationId}`);
    assert.equal(await lang(en.page), 'en');
    assert.match(await en.page.title(), /^Inbox · Stadtwerke Musterstadt$/);
    await en.page.getByRole('link', { name: 'Inbox' }).waitFor();
    assert.ok(await en.page.getByRole('button', { name: 'Sign out' }).isVisible());
    assert.ok(await en.page.getByRole('button', { name: 'Send reply' }).isVisible());
    assert.equal(await en.page.locator('#list h2').innerText(), 'Conversations');
    assert.equal(await messageTime(en.page), '01 Jul 2026, 12:00');

    await de.page.goto(`/inbox/c/${conversationId}`);
    assert.equal(await lang(de.page), 'de');
    await de.page.getByRole('link', { name: 'Posteingang' }).waitFor();
    assert.ok(await de.page.getByRole('button', { name: 'Antwort senden' }).isVisible());
    assert.equal(await messageTime(de.page), '01.07.2026, 12:00');
    en.watch.check();
    de.watch.check();
  } finally {
    await de.context.close();
  }
});

test('switching the language on /profile changes the next page', async () => {
  await setLocale(priya, 'en');
  const { page, watch } = en;
  const res = await page.goto('/profile');
  assert.equal(res.status(), 200, 'GET /profile');
  assert.equal(await lang(page), 'en');
  await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
  const form = page.locator('form[action="/profile/language"]');
  assert.ok(await form.getByRole('radio', { name: 'English' }).isChecked());
  await form.getByRole('radio', { name: 'Deutsch' }).check();
  await Promise.all([page.waitForURL((u) => u.pathname === '/profile'),
    form.getByRole('button').click()]);
  // The very next page is German, and so is every page after it.
  assert.equal(await lang(page), 'de');
  await page.getByRole('heading', { level: 1, name: 'Profil' }).waitFor();
  await page.goto('/inbox');
  assert.equal(await lang(page), 'de');
  await page.getByRole('link', { name: 'Posteingang' }).waitFor();
  const stored = await srv.api('GET', `/api/v1/users/${priya.id}`);
  assert.equal(stored.body.locale, 'de');

  // And back to English the same way.
  await page.goto('/profile');
  await form.getByRole('radio', { name: 'English' }).check();
  await Promise.all([page.waitForURL((u) => u.pathname === '/profile'),
    form.getByRole('button').click()]);
  assert.equal(await lang(page), 'en');
  watch.check();
});

test('an administrator changing a user\'s language through the API changes their next page', async () => {
  await setLocale(priya, 'en');
  const { page, watch } = en;
  await page.goto('/inbox');
  assert.equal(await lang(page), 'en');
  await setLocale(priya, 'de');
  await page.goto('/inbox');
  assert.equal(await lang(page), 'de', 'the open session still speaks English after the change');
  await page.getByRole('link', { name: 'Posteingang' }).waitFor();
  await setLocale(priya, 'en');
  await page.reload();
  assert.equal(await lang(page), 'en');
  watch.check();
});
