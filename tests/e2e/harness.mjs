// harness.mjs: what the browser tests share: a cluetrain server over a fresh
// data folder on an ephemeral loopback port, a small JSON client for its API
// (ingest, users), Debian's Chromium driven by playwright-core, signing in
// through the login form, and screenshots.
//
//   import { test } from 'node:test';
//   import assert from 'node:assert/strict';
//   import { startServer, openBrowser, login, screenshot } from './harness.mjs';
//
//   test('the inbox on a phone', async () => {
//     const srv = await startServer();
//     await srv.ingest(message('m-1', { text: 'Wann kommt der Techniker?' }));
//     const { page, close } = await openBrowser({ width: 375, height: 812, locale: 'de-DE', srv });
//     await login(page, srv);                      // the admin of this installation
//     await page.goto('/inbox');                   // relative to srv.url, since srv was given
//     await screenshot(page, 'inbox-phone');
//     await close();
//     await srv.stop();
//   });
//
// A server or browser that a failing test left open is closed after the
// file's last test (and killed when the process exits), so a failure never
// leaves a process behind or keeps the run waiting.
//
// Environment (the same convention as tests/integration/harness.py):
//   CLUETRAIN_BIN    the binary under test (default build/cluetrain)
//   E2E_SCREENSHOTS  where screenshot() writes (default build/test-results/screenshots)
//   E2E_CHROMIUM     the browser (default /usr/bin/chromium, Debian's package)
//   E2E_KEEP=1       keep each server's data folder and log (printed at stop)
//
// Beyond that: startServer({demo: true}) loads the demo workspace
// (`cluetrain init --demo`, demo/stadtwerk.jsonl); demoMessages() reads it
// for ingesting; srv.session() signs in to the JSON API with a cookie as the
// web pages do; totp() computes a code with oathtool; newPage() opens one
// more context in a browser; watchPage() collects script errors and Content
// Security Policy violations; eventsOpened() waits for the live stream;
// webhookSink() receives the replies of the api channel.
//
// Everything talks only to 127.0.0.1: the server listens there, the API
// client calls only it, and Chromium gets a dead proxy for every other
// address and resolves no host names.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BINARY = path.resolve(REPO, process.env.CLUETRAIN_BIN || 'build/cluetrain');
export const SCREENSHOTS = path.resolve(
  REPO, process.env.E2E_SCREENSHOTS || 'build/test-results/screenshots');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

const SANITIZER_REPORT = new RegExp(
  'ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)|runtime error:');

// The configuration every test server gets unless a test overrides a key
// (as in tests/integration/harness.py).
export const TEST_CONFIG = {
  CLUETRAIN_JOBS_BACKOFF_BASE_MS: '100',
  CLUETRAIN_JOBS_BACKOFF_MAX_MS: '1000',
  CLUETRAIN_JOBS_MAX_ATTEMPTS: '4',
  CLUETRAIN_JOBS_TIMEOUT_S: '5',
  CLUETRAIN_EVENTS_HEARTBEAT_S: '1',
};

function isSanitized(binary) {
  try {
    return fs.readFileSync(binary).includes('__asan_init');
  } catch {
    return false;
  }
}

// Timeouts are stretched for an ASan build.
export const SLOW = isSanitized(BINARY) ? 3 : 1;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- leftovers ---------------------------------------------------------------

const liveServers = new Set();
const liveBrowsers = new Set();

after(async () => {
  for (const b of liveBrowsers) await b.close().catch(() => {});
  for (const s of liveServers) await s.stop({ check: false }).catch(() => {});
});

process.on('exit', () => {
  for (const s of liveServers) s.kill();
});

// Stopped from outside (a timeout, ^C): the same, then end as the signal would.
for (const [signal, number] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]]) {
  process.once(signal, () => {
    for (const s of liveServers) s.kill();
    process.exit(128 + number);
  });
}

// ---- the binary ----------------------------------------------------------------

// The environment for a cluetrain process: ours without CLUETRAIN_*
// configuration from outside, plus the test configuration and overrides
// (a value of null removes a variable).
export function cleanEnv(overrides = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CLUETRAIN_') || k === 'CLUETRAIN_BIN') env[k] = v;
  }
  Object.assign(env, TEST_CONFIG, { LC_ALL: 'C.UTF-8' });
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null || v === undefined) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

function checkSanitizers(text, what) {
  const m = SANITIZER_REPORT.exec(text || '');
  if (m) {
    const start = Math.max(0, m.index - 200);
    throw new Error(`sanitizer report from ${what}:\n${text.slice(start, start + 6000)}`);
  }
}

// Run `cluetrain args...`; {status, stdout, stderr}. Throws on a sanitizer
// report, and (check, the default) on an exit status other than 0.
export function runCli(args, { env = {}, check = true, timeout = 60 } = {}) {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`cluetrain binary not found at ${BINARY} (build it, or set CLUETRAIN_BIN)`);
  }
  const res = spawnSync(BINARY, args, {
    env: cleanEnv(env), encoding: 'utf8', timeout: timeout * 1000 * SLOW,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.error) throw res.error;
  const what = `cluetrain ${args.join(' ')}`;
  checkSanitizers(res.stderr, what);
  if (check && res.status !== 0) {
    throw new Error(`${what} exited ${res.status}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

// ---- test data -------------------------------------------------------------------

// A random password that passes the policy (length, cracklib).
export function strongPassword() {
  return `Qz7-${randomBytes(12).toString('base64url')}-k9`;
}

// A name that no other test uses: "agent-3fa2c1d0".
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

// One message in the ingest format (as message() in harness.py).
export function message(externalId, { author = 'kunde-1', text, channel = 'api', ...extra } = {}) {
  return {
    channel,
    external_id: externalId,
    author: { id: author, name: `Name of ${author}` },
    text: text ?? `Nachricht ${externalId}`,
    ...extra,
  };
}

// ---- the server --------------------------------------------------------------------

// One `cluetrain serve` on a fresh installation. Made by startServer().
export class Server {
  constructor({ env = {}, demo = false } = {}) {
    this.env = env;
    this.demo = demo;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluetrain-e2e-'));
    this.dataDir = path.join(this.dir, 'data');
    this.logPath = path.join(this.dir, 'serve.log');
    this.proc = null;
    this.port = null;
    this.url = null; // "http://127.0.0.1:PORT"
    this.token = null; // the admin's API token
    this.admin = null; // {email, password} of the first administrator
    this.exited = null; // a promise of {code, signal}
  }

  // `cluetrain init` (--demo with demo): the admin's login and API token
  // from what it prints once.
  init() {
    const args = ['init', '--data', this.dataDir];
    if (this.demo) args.push('--demo');
    const res = runCli(args, { env: this.env });
    const field = (label) => {
      const m = new RegExp(`^\\s*${label}:\\s*(\\S+)\\s*$`, 'm').exec(res.stdout);
      if (!m) throw new Error(`cluetrain init printed no "${label}":\n${res.stdout}`);
      return m[1];
    };
    this.admin = { email: field('admin login'), password: field('admin password') };
    this.token = field('API token');
    return this;
  }

  // Serve on a free loopback port; resolves when /api/v1/health answers 200.
  async start({ timeout = 15 } = {}) {
    if (this.proc) throw new Error('already running');
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(BINARY, ['serve', '--data', this.dataDir, '--listen', '127.0.0.1:0'], {
      env: cleanEnv(this.env), stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.proc.unref(); // a forgotten server must not keep the test process alive
    liveServers.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => resolve({ code, signal }));
      this.proc.once('error', (error) => resolve({ code: null, signal: String(error) }));
    });
    const deadline = Date.now() + timeout * 1000 * SLOW;
    while (!this.port && Date.now() < deadline && this.proc.exitCode === null) {
      const m = /event=server\.started .*?\bport=(\d+)/.exec(this.log());
      if (m) this.port = Number(m[1]);
      else await sleep(20);
    }
    if (!this.port) {
      this.kill();
      throw new Error(`the server did not start:\n${this.log()}`);
    }
    this.url = `http://127.0.0.1:${this.port}`;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return this;
      } catch {
        // not listening yet
      }
      await sleep(20);
    }
    this.kill();
    throw new Error(`the server never became healthy:\n${this.log()}`);
  }

  // What the server wrote so far (stdout and stderr).
  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  // SIGTERM, wait, remove the data folder. Throws (check, the default) when
  // the server had died, did not stop in time, exited non-zero or printed a
  // sanitizer report.
  async stop({ timeout = 20, check = true } = {}) {
    if (!liveServers.has(this)) return;
    liveServers.delete(this);
    const problems = [];
    if (this.proc) {
      if (!this.running) problems.push('cluetrain serve had died on its own');
      this.proc.kill('SIGTERM');
      let timer;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), timeout * 1000 * SLOW);
      });
      let result = await Promise.race([this.exited, late]);
      clearTimeout(timer);
      if (result === null) {
        this.proc.kill('SIGKILL');
        result = await this.exited;
        problems.push(`cluetrain serve did not stop within ${timeout}s of SIGTERM`);
      } else if (result.code !== 0) {
        problems.push(`cluetrain serve exited ${result.code ?? result.signal} after SIGTERM`);
      }
      this.proc = null;
    }
    const log = this.log();
    this.cleanup();
    if (!check) return;
    checkSanitizers(log, 'cluetrain serve');
    if (problems.length) throw new Error(`${problems.join('; ')}\n${log.slice(-4000)}`);
  }

  // SIGKILL and remove the data folder, at once (also from an exit handler).
  kill() {
    liveServers.delete(this);
    if (this.proc && this.running) this.proc.kill('SIGKILL');
    this.proc = null;
    this.cleanup();
  }

  cleanup() {
    if (process.env.E2E_KEEP === '1') {
      process.stderr.write(`e2e: kept ${this.dir}\n`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- the API ----

  // One API call; {status, headers, body} with body parsed as JSON when it is.
  // body: any JSON value; token: another bearer token, or '' for none.
  async api(method, apiPath, body, { token = this.token, headers = {} } = {}) {
    const hdrs = { ...headers };
    if (token) hdrs.Authorization = `Bearer ${token}`;
    if (body !== undefined) hdrs['Content-Type'] = 'application/json';
    const res = await fetch(this.url + apiPath, {
      method, headers: hdrs, body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual', signal: AbortSignal.timeout(15000 * SLOW),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the text as it is
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  // POST /api/v1/messages (one message or a list, see message()); the
  // result list [{id, conversation_id, duplicate}].
  async ingest(messages, { expect = 201 } = {}) {
    const res = await this.api('POST', '/api/v1/messages', messages);
    if (res.status !== expect) {
      throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.status === 201 ? res.body.data : res.body;
  }

  // POST /api/v1/users as the admin; the user, with its "password".
  // role: admin, supervisor, agent or viewer.
  async createUser({ role = 'agent', email, name, password, locale, teams } = {}) {
    const body = {
      name: name || `Person ${randomBytes(3).toString('hex')}`,
      email: email || `${unique(role)}@example.org`,
      role,
      password: password || strongPassword(),
    };
    if (locale) body.locale = locale;
    if (teams) body.teams = teams;
    const res = await this.api('POST', '/api/v1/users', body);
    if (res.status !== 201) {
      throw new Error(`creating a user answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return { ...res.body, password: body.password };
  }

  // Sign in to the JSON API as the web pages do (POST /api/v1/auth/login,
  // the session cookie and the CSRF token); {me, call(method, path, body)}
  // where call answers {status, body} as api() does.
  async session(email, password) {
    let cookie = null;
    let csrf = null;
    const call = async (method, apiPath, body) => {
      const headers = {};
      if (cookie) headers.Cookie = cookie;
      if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
      const res = await this.api(method, apiPath, body, { token: '', headers });
      const set = res.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0];
      return res;
    };
    const res = await call('POST', '/api/v1/auth/login', { email, password });
    if (res.status !== 200) {
      throw new Error(`API login answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    csrf = res.body.csrf_token;
    return { me: res.body, call };
  }
}

// A fresh installation, served: `cluetrain init` in a new folder under the
// temporary directory, then `cluetrain serve` on 127.0.0.1 with a free port.
// env: configuration overrides, e.g. {CLUETRAIN_ORG_NAME: 'Stadtwerke'};
// demo: load the demo workspace (46 messages in 33 conversations, the newest
// twenty minutes old, and the teams Kundenservice, Störungsdienst and
// International).
export async function startServer({ env = {}, timeout = 15, demo = false } = {}) {
  const srv = new Server({ env, demo });
  try {
    srv.init();
  } catch (e) {
    srv.cleanup();
    throw e;
  }
  return srv.start({ timeout });
}

// ---- the browser ---------------------------------------------------------------------

let playwright = null;

function loadPlaywright() {
  if (!playwright) {
    const require = createRequire(path.join(REPO, 'web', 'package.json'));
    try {
      playwright = require('playwright-core');
    } catch (e) {
      throw new Error(`playwright-core is not installed in web/node_modules (run scripts/deps.sh): ${e.message}`);
    }
  }
  return playwright;
}

// Chromium's switches: no sandbox (tests may run as root), no GPU, and no
// connection anywhere but 127.0.0.1 (no background services, a dead proxy
// for every other address, no name resolution).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=127.0.0.1',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

// Launch Chromium with one page; {browser, context, page, close}.
//   width, height   the viewport (default 1280 x 800)
//   locale          navigator.language and Accept-Language (default 'de-DE')
//   timezoneId      default 'Europe/Berlin'
//   srv             a Server: page.goto('/inbox') is then relative to srv.url
//   firstPage       false: no context and page yet (newPage() makes them)
//   ...             any other option of browser.newContext()
export async function openBrowser({ firstPage = true, ...options } = {}) {
  const { chromium } = loadPlaywright();
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (scripts/deps.sh test installs Debian's chromium)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60000 * SLOW,
  });
  liveBrowsers.add(browser);
  browser.once('disconnected', () => liveBrowsers.delete(browser));
  const { context, page } = firstPage ? await newPage(browser, options) : {};
  const close = async () => {
    liveBrowsers.delete(browser);
    await browser.close();
  };
  return { browser, context, page, close };
}

// One more context (its own cookies: another person) with one page in a
// browser of openBrowser(), with the same options; {context, page}. Close
// the context when done (closing the browser closes it too).
export async function newPage(browser, {
  width = 1280, height = 800, locale = 'de-DE', timezoneId = 'Europe/Berlin', srv,
  ...contextOptions
} = {}) {
  const context = await browser.newContext({
    viewport: { width, height }, locale, timezoneId, reducedMotion: 'reduce',
    baseURL: srv ? srv.url : undefined, ...contextOptions,
  });
  context.setDefaultTimeout(10000 * SLOW);
  const page = await context.newPage();
  return { context, page };
}

// Collect what goes wrong in the page from now on: uncaught script errors,
// console errors (which include Content Security Policy violations) and
// failed loads of anything but a document (a page answered with 401 or 422
// on purpose is the test's business) or the favicon, which the pages do not
// have; {problems, check()}: check() throws when there were any.
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' || m.text().startsWith('Failed to load resource')) return;
    problems.push(`console error on ${page.url()}: ${m.text()} (${m.location()?.url || ''})`);
  });
  page.on('response', (r) => {
    const kind = r.request().resourceType();
    if (r.status() >= 400 && kind !== 'document' && !/\/favicon\.ico$/.test(r.url())) {
      problems.push(`${r.request().method()} ${r.url()} (${kind}) answered ${r.status()}`);
    }
  });
  page.on('requestfailed', (r) => {
    // An aborted GET is the browser's or htmx's own doing: leaving a page
    // ends its event stream, and htmx cancels a fragment request that a
    // newer one for the same target replaces (a live refresh while a
    // click loads). So is a presence note still on its way when the page
    // is left (app.js sends them in the background). Any other failure,
    // and any other aborted POST, is a problem.
    const why = r.failure()?.errorText || '';
    const path = new URL(r.url()).pathname;
    if (why === 'net::ERR_ABORTED' &&
        (r.method() === 'GET' || /^\/inbox\/c\/\d+\/presence$/.test(path))) return;
    problems.push(`${r.method()} ${r.url()} failed: ${why}`);
  });
  return {
    problems,
    check() {
      if (problems.length) throw new Error(`the page reported problems:\n${problems.join('\n')}`);
    },
  };
}

// A promise of the response of the page's next GET /api/v1/events (the live
// stream of app.js); start waiting before the navigation that opens it.
// Once it has answered, every later event reaches the page: the stream
// starts after the newest event at the time of the request.
export function eventsOpened(page) {
  return page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/api/v1/events' && r.status() === 200,
    { timeout: 10000 * SLOW });
}

// The TOTP code of a base32 secret at now + offsetS seconds, from oathtool
// (as authkit.totp in the integration tests).
export function totp(secret, offsetS = 0) {
  const args = ['--totp', '-b', secret];
  if (offsetS) args.push('-N', `@${Math.floor(Date.now() / 1000 + offsetS)}`);
  const res = spawnSync('oathtool', args, { encoding: 'utf8', timeout: 10000 });
  if (res.error) throw new Error(`oathtool: ${res.error.message} (scripts/deps.sh test installs it)`);
  if (res.status !== 0) throw new Error(`oathtool exited ${res.status}: ${res.stderr}`);
  return res.stdout.trim();
}

// The demo workspace's messages (demo/stadtwerk.jsonl) in the ingest format,
// for tests that want realistic German customer messages.
export function demoMessages() {
  return fs.readFileSync(path.join(REPO, 'demo', 'stadtwerk.jsonl'), 'utf8')
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// A webhook receiver on 127.0.0.1 for the replies of an api channel (set
// the channel's config.webhook_url to its url): it answers 200 and keeps
// each body; {url, received, close()}.
export async function webhookSink() {
  const http = await import('node:http');
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        received.push(JSON.parse(text));
      } catch {
        received.push(text);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}/replies`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Sign in through the form on /login (inputs named email and password; the
// admin of srv when email is not given); {ok, status, url}: ok when the
// browser holds a session afterwards and is no longer on /login.
export async function login(page, srv, email = srv.admin.email, password = srv.admin.password) {
  await page.goto(`${srv.url}/login`);
  const form = page.locator('form:has(input[name="password"])');
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' &&
      new URL(r.url()).pathname === '/login'),
    page.waitForEvent('load'),
    form.locator('input[name="password"]').press('Enter'),
  ]);
  const url = new URL(page.url());
  const cookies = await page.context().cookies(srv.url);
  const ok = url.pathname !== '/login' && cookies.some((c) => c.name === 'ct_session' && c.value);
  return { ok, status: response.status(), url: page.url() };
}

// Save a PNG of the page as $E2E_SCREENSHOTS/NAME.png; its path.
// options: any of page.screenshot()'s, e.g. {fullPage: true}. The caret is
// left as it is: hiding it makes Playwright leave style="" on every input,
// which htmx then copies in its next swap (a CSP violation of the test's
// own making).
export async function screenshot(page, name, options = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
  await page.screenshot({ path: file, caret: 'initial', ...options });
  return file;
}
