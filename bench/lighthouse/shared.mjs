// What the Lighthouse flows (flow.mjs, dashboard.mjs) share: their arguments, Debian's Chromium
// as they launch it, and writing the flow's result and report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

// <base URL> <phone> <password or PIN> <out dir>, the out dir made.
export function flowArguments(script, secret) {
  const [base, phone, password, out] = process.argv.slice(2);
  if (!out) {
    console.error(`usage: node ${script} <base URL> <phone> <${secret}> <out dir>`);
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  return { base, phone, password, out };
}

// Chromium (CHROME_PATH) in the new headless mode; Lighthouse sets the screen itself.
export function launchChromium() {
  return puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    defaultViewport: null,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      // Nothing but the platform on this machine: any other host fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

export async function writeFlow(flow, out) {
  writeFileSync(join(out, 'flow.json'), JSON.stringify(await flow.createFlowResult()));
  writeFileSync(join(out, 'flow.html'), await flow.generateReport());
}

export const onlyCategories = ['performance', 'accessibility', 'best-practices'];
