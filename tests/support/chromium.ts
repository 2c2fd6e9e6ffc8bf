/**
 * The browser the e2e tests (playwright.config.ts) and the editor benchmarks drive: Debian's
 * Chromium, since Playwright's own browser download cannot work on these machines, with the same
 * flags for both (software rendering: no GPU here).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
]
