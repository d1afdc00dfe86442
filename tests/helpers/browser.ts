/**
 * Headless Chromium for tests, driven with puppeteer-core: the run's shared browser
 * (FLEETGATE_TEST_BROWSER_WS, started by scripts/run-tests.mjs), or — when a suite runs alone — a
 * browser of its own started here and killed when the process exits. Each caller gets a fresh
 * incognito-like browser context (no cookies shared with other suites); close it when done.
 */
import puppeteer, { type Browser, type BrowserContext } from 'puppeteer-core';
import { startBrowser } from '../../scripts/browser.mjs';

let endpoint: Promise<string> | undefined;

function browserEndpoint(): Promise<string> {
  endpoint ??= (async () => {
    if (process.env.FLEETGATE_TEST_BROWSER_WS) return process.env.FLEETGATE_TEST_BROWSER_WS;
    const browser = await startBrowser();
    process.once('exit', () => browser.stop());
    return browser.wsEndpoint;
  })();
  return endpoint;
}

export async function browserContext(): Promise<{ browser: Browser; context: BrowserContext; close(): Promise<void> }> {
  const browser = await puppeteer.connect({ browserWSEndpoint: await browserEndpoint(), defaultViewport: null });
  const context = await browser.createBrowserContext();
  return {
    browser,
    context,
    async close() {
      await context.close().catch(() => undefined);
      await browser.disconnect();
    },
  };
}
