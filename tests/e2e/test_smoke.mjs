// test_smoke.mjs: the browser-test tooling works end to end: the real
// binary on a fresh installation, Debian's Chromium driven by playwright-core,
// and a screenshot. The page tests live beside this file (see harness.mjs).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { openBrowser, screenshot, startServer } from './harness.mjs';

test('Chromium opens /api/v1/health of a fresh server', async () => {
  const srv = await startServer();
  const { page, close } = await openBrowser({ width: 800, height: 600, locale: 'de-DE', srv });
  try {
    const response = await page.goto('/api/v1/health');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^application\/json/);
    const health = await response.json();
    assert.equal(health.status, 'ok');
    assert.ok(Number.isInteger(health.schema_version) && health.schema_version > 0,
      `schema_version ${health.schema_version}`);
    assert.match(await page.locator('body').innerText(), /"status":\s*"ok"/);
    assert.equal(await page.evaluate(() => navigator.language), 'de-DE');
    const file = await screenshot(page, 'smoke-health');
    assert.ok(fs.statSync(file).size > 0, `${file} is empty`);
  } finally {
    await close();
    await srv.stop();
  }
});
