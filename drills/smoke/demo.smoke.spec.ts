// Smoke spec for the demo service, run by firedrill after a drill's recovery (and before it, as
// a steady-state check): the page must show the baseline release and as many open orders as the
// API lists. firedrill passes the service URL as FIREDRILL_BASE_URL and the run's values
// (baselineTag and the like) as FIREDRILL_VALUES.

import { expect, test } from '@playwright/test';

const baseURL = process.env.FIREDRILL_BASE_URL;
const values = JSON.parse(process.env.FIREDRILL_VALUES ?? '{}') as Record<string, string>;

test.use({ baseURL });

test('the demo page shows the baseline release and the open orders', async ({ page, request }) => {
  // Collected by a run that picks up every spec in the repository; firedrill always sets it.
  test.skip(!baseURL, 'FIREDRILL_BASE_URL is not set; firedrill runs this spec against a service');
  const baselineTag = values.baselineTag;
  expect(baselineTag, 'FIREDRILL_VALUES must name the baselineTag').toBeTruthy();

  const orders = await request.get('/api/orders');
  expect(orders.status()).toBe(200);
  const { orders: list } = (await orders.json()) as { orders: unknown[] };

  await page.goto('/');
  await expect(page.locator('#version')).toHaveText(baselineTag ?? '');
  await expect(page.locator('#orders-count')).toHaveText(String(list.length));
});
