// test_login.mjs: signing in and out in the browser (issue 5): the German
// login form, a wrong password, the second factor of a user with TOTP
// (enabled through the JSON API, codes from oathtool), and signing out
// ending the session on the server.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  login, newPage, openBrowser, screenshot, startServer, totp, watchPage,
} from './harness.mjs';

let srv;
let browser;
let closeBrowser;

before(async () => {
  srv = await startServer({ env: { CLUETRAIN_ORG_NAME: 'Stadtwerke Musterstadt' } });
  ({ browser, close: closeBrowser } = await openBrowser({ srv, firstPage: false }));
});

after(async () => {
  await closeBrowser?.();
  await srv?.stop();
});

// A fresh person's page (own cookies), watched for script errors.
async function freshPage(options = {}) {
  const { context, page } = await newPage(browser, { srv, ...options });
  return { context, page, watch: watchPage(page) };
}

async function sessionCookie(context) {
  return (await context.cookies(srv.url)).find((c) => c.name === 'ct_session');
}

test('the login page is German and signs in through the form, back to where one was', async () => {
  const { context, page, watch } = await freshPage({ width: 640, height: 440 });
  try {
    // A page behind the login sends there and remembers where to come back to.
    const user = srv.admin;
    await page.goto('/inbox?status=any');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.match(await page.title(), /^Anmelden/);
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor());
    // The fields are found by their labels, as a screen reader would.
    const email = page.getByLabel('E-Mail-Adresse');
    const password = page.getByLabel('Passwort');
    assert.equal(await email.getAttribute('autocomplete'), 'username');
    assert.equal(await password.getAttribute('type'), 'password');
    assert.ok(await email.evaluate((el) => el === document.activeElement), 'the e-mail field has the focus');
    await screenshot(page, 'login');
    await email.fill(user.email);
    await password.fill(user.password);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/inbox'),
      page.getByRole('button', { name: 'Anmelden' }).click(),
    ]);
    assert.equal(new URL(page.url()).search, '?status=any');
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor();
    await assert.doesNotReject(page.getByRole('link', { name: 'Posteingang' }).waitFor());
    const cookie = await sessionCookie(context);
    assert.ok(cookie?.value, 'a session cookie');
    assert.ok(cookie.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(cookie.sameSite, 'Lax', `SameSite ${cookie.sameSite}`);
    watch.check();
  } finally {
    await context.close();
  }
});

test('a wrong password shows the error and stays on /login', async () => {
  const { context, page, watch } = await freshPage();
  try {
    const user = await srv.createUser({ role: 'agent' });
    const res = await login(page, srv, user.email, `${user.password}x`);
    assert.equal(res.ok, false);
    assert.equal(res.status, 401);
    assert.equal(new URL(page.url()).pathname, '/login');
    const alert = page.getByRole('alert');
    assert.equal((await alert.innerText()).trim(), 'Falsche E-Mail-Adresse oder falsches Passwort.');
    // The address stays filled in, the password does not.
    assert.equal(await page.getByLabel('E-Mail-Adresse').inputValue(), user.email);
    assert.equal(await page.getByLabel('Passwort').inputValue(), '');
    assert.equal(await sessionCookie(context), undefined, 'no session after a wrong password');
    // The right password still works afterwards (one failure locks nothing).
    const ok = await login(page, srv, user.email, user.password);
    assert.ok(ok.ok, `login after one wrong password: ${JSON.stringify(ok)}`);
    watch.check();
  } finally {
    await context.close();
  }
});

test('a user with TOTP gets the second-factor page and needs the right code', async () => {
  const { context, page, watch } = await freshPage();
  try {
    const user = await srv.createUser({ role: 'agent', name: 'Deniz Aydın' });
    // Enable TOTP through the JSON API, as tests/integration/test_totp.py does.
    const api = await srv.session(user.email, user.password);
    const setup = await api.call('POST', '/api/v1/auth/totp/setup');
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    const secret = setup.body.secret;
    const enable = await api.call('POST', '/api/v1/auth/totp/enable', { code: totp(secret) });
    assert.equal(enable.status, 200, JSON.stringify(enable.body));

    const res = await login(page, srv, user.email, user.password);
    assert.equal(new URL(res.url).pathname, '/login/second-factor', `after the password: ${res.url}`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    await page.getByRole('heading', { level: 1, name: 'Zweiter Faktor' }).waitFor();
    const code = page.getByLabel('Code aus Ihrer Authenticator-App');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    // Half signed in: no navigation, and the inbox is not open yet.
    assert.equal(await page.getByRole('navigation', { name: 'Hauptnavigation' }).count(), 0);
    await page.goto('/inbox');
    assert.notEqual(new URL(page.url()).pathname, '/inbox', 'the inbox before the second factor');
    assert.equal(await page.locator('#list').count(), 0, 'the conversation list before the second factor');
    await page.goto('/login/second-factor');

    // A wrong code: the error, still on the second-factor page.
    const good = new Set([-60, -30, 0, 30, 60].map((d) => totp(secret, d)));
    const wrong = ['000000', '111111', '222222', '333333'].find((c) => !good.has(c));
    await page.getByLabel('Code aus Ihrer Authenticator-App').fill(wrong);
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' &&
        new URL(r.url()).pathname === '/login/second-factor'),
      page.getByRole('button', { name: 'Weiter' }).click(),
    ]);
    await page.waitForLoadState();
    assert.equal(new URL(page.url()).pathname, '/login/second-factor');
    assert.equal((await page.getByRole('alert').innerText()).trim(),
      'Dieser Code ist falsch oder wurde schon verwendet.');

    // The next code (the one that enabled TOTP counts as used) signs in.
    await page.getByLabel('Code aus Ihrer Authenticator-App').fill(totp(secret, 30));
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/inbox'),
      page.getByRole('button', { name: 'Weiter' }).click(),
    ]);
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor();
    await page.locator('#list').waitFor();
    watch.check();
  } finally {
    await context.close();
  }
});

test('signing out ends the session on the server', async () => {
  const { context, page, watch } = await freshPage();
  try {
    const res = await login(page, srv);
    assert.ok(res.ok, JSON.stringify(res));
    const before = await sessionCookie(context);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/login'),
      page.getByRole('button', { name: 'Abmelden' }).click(),
    ]);
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
    await page.goto('/inbox');
    assert.equal(new URL(page.url()).pathname, '/login', 'the inbox after signing out');
    // The old session id is dead on the server, not just forgotten by the browser.
    const stale = await fetch(`${srv.url}/inbox`, {
      headers: { Cookie: `ct_session=${before.value}` }, redirect: 'manual',
    });
    assert.equal(stale.status, 303, 'the old session id still opens the inbox');
    assert.match(stale.headers.get('location'), /^\/login/);
    watch.check();
  } finally {
    await context.close();
  }
});
