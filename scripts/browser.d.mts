/** Types of scripts/browser.mjs (plain JavaScript, shared with the test runner). */
export interface Browser {
  /** ws://127.0.0.1:<port>/devtools/browser/<id>: what puppeteer-core connects to. */
  wsEndpoint: string;
  pid: number;
  dir: string;
  stop(): void;
}

export const CHROMIUM_FLAGS: string[];

export function startBrowser(options?: { timeoutMs?: number }): Promise<Browser>;
