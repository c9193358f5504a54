// Lighthouse's user flow over the RT app (issue 23), run by bench/lighthouse.py:
//
//   node flow.mjs <base URL> <phone> <PIN> <out dir>
//
// Debian's Chromium (CHROME_PATH), driven by puppeteer-core, Lighthouse's default (mobile)
// settings: a Moto G Power-sized screen, simulated slow 4G and a 4x slower CPU. Five cold
// and warm page loads, each one a Lighthouse navigation (a real load of the page, through
// about:blank, since the app's screens are hash routes of one page):
//
//   1. sign-in, signed out, nothing cached (Lighthouse clears the origin's storage first);
//   then the RT head signs in through the form (not measured);
//   2. compose and 3. my reports, signed in but with the HTTP cache, the service worker and
//   its caches cleared (IndexedDB kept: the session and the drafts live there), the cold load
//   of a signed-in RT head;
//   4. compose and 5. my reports again, as the next visit finds them (the worker's precache).
//
// Lighthouse sees the page's requests, not its service worker's: what the worker fetches
// (its precache of the whole app, after the first load) is counted here from the worker's
// own DevTools session, by phase.
//
// Writes flow.json (the flow result: one Lighthouse result a step), flow.html (the report)
// and worker.json (the worker's requests: phase, URL, bytes, from the HTTP cache) into
// <out dir>. Nothing leaves the machine: Chromium resolves no host but
// 127.0.0.1, and the Python side checks every request Lighthouse saw.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFlow } from 'lighthouse';
import { flowArguments, launchChromium, onlyCategories, writeFlow } from './shared.mjs';

const { base, phone, password: pin, out } = flowArguments('flow.mjs', 'PIN');
const browser = await launchChromium();

// What the service worker fetches, under the phase the flow is in.
let phase = 'sign-in';
const worker = [];
browser.on('targetcreated', async (target) => {
  if (target.type() !== 'service_worker') return;
  const session = await target.createCDPSession();
  const responses = new Map();
  session.on('Network.responseReceived', ({ requestId, response }) =>
    responses.set(requestId, { url: response.url, fromCache: response.fromDiskCache || false }));
  session.on('Network.loadingFinished', ({ requestId, encodedDataLength }) =>
    worker.push({ phase, ...responses.get(requestId), bytes: encodedDataLength }));
  await session.send('Network.enable');
});

try {
  const page = await browser.newPage();
  const flow = await startFlow(page, {
    name: 'Sipokat RT app (issue 23)',
    config: {
      extends: 'lighthouse:default',
      settings: { onlyCategories },
    },
  });
  const app = `${base}/app/`;
  // Each step a real page load: through about:blank (the routes differ only by their hash).
  const load = { skipAboutBlank: false };

  await flow.navigate(app, { name: 'sign-in (signed out, cold)', ...load, disableStorageReset: false });

  await page.waitForSelector('#phone');
  await page.type('#phone', phone);
  await page.type('#password', pin);
  await Promise.all([
    page.waitForFunction(() => location.hash === '#/compose' && document.querySelector('h1')?.textContent === 'Buat laporan', { timeout: 60_000 }),
    page.click('button[type=submit]'),
  ]);
  // Wait for the worker to have precached the app, so the warm steps find it.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

  await clearCachesKeepSession(page, base);
  phase = 'compose';
  await flow.navigate(`${app}#/compose`, { name: 'compose (signed in, cold)', ...load });
  await clearCachesKeepSession(page, base);
  phase = 'my reports';
  await flow.navigate(`${app}#/reports`, { name: 'my reports (signed in, cold)', ...load });
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  phase = 'warm';
  await flow.navigate(`${app}#/compose`, { name: 'compose (signed in, warm)', ...load });
  await flow.navigate(`${app}#/reports`, { name: 'my reports (signed in, warm)', ...load });

  await writeFlow(flow, out);
  writeFileSync(join(out, 'worker.json'), JSON.stringify(worker, null, 1));
} finally {
  await browser.close();
}

// A signed-in RT head whose browser holds nothing of the app: the HTTP cache, the service
// worker and Cache Storage cleared; IndexedDB (session, drafts, outbox) and the rest kept.
async function clearCachesKeepSession(page, origin) {
  const cdp = await page.createCDPSession();
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Storage.clearDataForOrigin', {
    origin,
    storageTypes: 'service_workers,cache_storage',
  });
  await cdp.detach();
}
