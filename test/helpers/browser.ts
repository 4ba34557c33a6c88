import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`), or CHROMIUM_PATH. playwright-core drives it and
 * downloads no browser of its own: these machines reach no download host.
 */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => Boolean(p) && fs.existsSync(p as string)) ?? null;
}

/**
 * True when the browser tests must run: CI sets WA_ONBOARD_REQUIRE_BROWSER=1 after installing
 * Chromium, so a missing browser fails there instead of skipping quietly.
 */
export const browserRequired = process.env.WA_ONBOARD_REQUIRE_BROWSER === '1';

/**
 * Headless Chromium kept off the network: every host name but 127.0.0.1 fails to resolve, and
 * the background services that phone home (updates, sync, safe browsing lists) are off.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox', // CI runs as root, where Chromium's sandbox cannot start
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}
