// The API reference at /api/docs: Swagger UI from the UI's own build (no
// CDN) over the gateway's OpenAPI document.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE_URL, launch, newPage } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the API reference lists the routes from /api/openapi.json, with no request leaving the machine', async () => {
  const { page, context } = await newPage(browser);
  const elsewhere = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE_URL)) elsewhere.push(r.url());
  });
  await page.goto('/api/docs');
  await page.getByText('/api/tasks/{id}/complete').first().waitFor();
  await page.getByRole('heading', { name: /attend/ }).first().waitFor();
  assert.deepEqual(elsewhere, [], 'every request goes to attend itself');
  const doc = await (await page.request.get('/api/openapi.json')).json();
  assert.match(doc.openapi, /^3\.1/);
  assert.ok(Object.keys(doc.paths).length > 80, 'every route is described');
  await context.close();
});
