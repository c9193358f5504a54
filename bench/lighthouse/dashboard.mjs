// Lighthouse on the leaders' dashboard (issue 24), run by bench/dashboard_lighthouse.py:
//
//   node dashboard.mjs <base URL> <phone> <password> <out dir>
//
// Debian's Chromium (CHROME_PATH), driven by puppeteer-core, in Lighthouse's DESKTOP profile
// (`--preset=desktop`'s config: a 1350x940 screen, simulated throttling of a wired link, 40 ms
// RTT and 10 Mbit/s, no CPU slowdown). The city office signs in through the console's form
// (not measured) and opens the dashboard once, so the session is kept as a returning leader's
// is (the refresh token and account in IndexedDB, shared/session.js); then the HTTP cache is
// cleared and the dashboard's first load is measured: /console/#/dashboard as a real page load,
// its script and styles, the token's refresh, the city's words, the areas and analytics' six
// figures, until the page is quiet.
//
// Writes flow.json and flow.html into <out dir>. Chromium resolves no host but 127.0.0.1.
import { startFlow } from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { flowArguments, launchChromium, onlyCategories, writeFlow } from './shared.mjs';

const { base, phone, password, out } = flowArguments('dashboard.mjs', 'password');
const browser = await launchChromium();

try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1350, height: 940 });
  const consoleUrl = `${base}/console/`;
  await page.goto(consoleUrl);
  await page.waitForSelector('#phone');
  await page.type('#phone', phone);
  await page.type('#password', password);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => location.hash === '#/worklist', { timeout: 60_000 });
  await page.goto(`${consoleUrl}#/dashboard`);
  await page.waitForSelector('section.dashboard[data-loaded="true"]', { timeout: 60_000 });

  const cdp = await page.createCDPSession();
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();

  const flow = await startFlow(page, {
    name: 'Sipokat dashboard (issue 24)',
    config: {
      ...desktopConfig,
      settings: { ...desktopConfig.settings, onlyCategories },
    },
  });
  // A real load (through about:blank: the console's screens are hash routes of one page), the
  // session kept: the dashboard as a signed-in leader opens it on a new day.
  await flow.navigate(`${consoleUrl}#/dashboard`, {
    name: 'dashboard (signed in, cold cache)',
    skipAboutBlank: false,
    disableStorageReset: true,
  });
  const loaded = await page.$('section.dashboard[data-loaded="true"]');
  if (!loaded) throw new Error('the dashboard did not show its figures under Lighthouse');

  await writeFlow(flow, out);
} finally {
  await browser.close();
}
