// Browser test of GraphiQL at /graphql (the server runs with
// graphql.playground = true, as e2e/run.sh starts it): it loads from the
// server alone, under its CSP, introspects the schema and runs a query.
//
//   FOLIO_URL=http://127.0.0.1:8000 node --test e2e/graphiql.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = (process.env.FOLIO_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!BASE) throw new Error('Set FOLIO_URL (e.g. http://127.0.0.1:8000); e2e/run.sh does it.');

test('GraphiQL loads from the server alone and runs a query', async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    const origin = new URL(BASE).origin;
    // The network is cut: anything outside the server's origin is refused
    // and recorded (data: URLs are not requests).
    const outside = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    const introspections = [];
    page.on('response', async (res) => {
      const req = res.request();
      if (req.method() === 'POST' && req.url() === `${BASE}/graphql`
          && (req.postData() || '').includes('__schema')) {
        introspections.push(res.status());
      }
    });

    const res = await page.goto(`${BASE}/graphql`);
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);

    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    // GraphiQL introspects the schema as it starts (for the docs explorer).
    for (let i = 0; i < 100 && introspections.length === 0; i += 1) await page.waitForTimeout(100);
    assert.deepEqual(introspections, [200], 'the introspection query is answered');

    const query = 'query Check { __typename posts(limit: 1) { id } }';
    await page.evaluate((q) => {
      document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q);
    }, query);
    await page.click('.graphiql-execute-button');
    const result = await page.waitForFunction(() => {
      const cm = document.querySelector('.graphiql-response .CodeMirror');
      const text = cm && cm.CodeMirror.getValue();
      return text && text.includes('__typename') ? text : null;
    });
    const body = JSON.parse(await result.jsonValue());
    assert.equal(body.data.__typename, 'Query');
    assert.ok(Array.isArray(body.data.posts));

    assert.deepEqual(outside, [], 'no request leaves the server\'s origin');
    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  } finally {
    await browser.close();
  }
});
