import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createApp } from '../../server/app'
import type { Harness } from './harness'

/**
 * The real app (API, dashboard, the harness's SMTP sink as the embedded mailbox) served over HTTP on a
 * random port, and Debian's Chromium driven by Playwright.
 */

export const chromiumPath = process.env.HERALD_CHROMIUM_PATH ?? '/usr/bin/chromium'

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface BrowserStack {
  baseUrl: string
  browser: Browser
  /** A fresh browser context (its own cookies), on a laptop-sized window. */
  newPage(options?: { bypassCSP?: boolean; timezoneId?: string }): Promise<Page>
  /** Logs in through the login form with the API token of one of the harness's users. */
  logIn(token: string): Promise<Page>
  close(): Promise<void>
}

export async function startBrowserStack(h: Harness): Promise<BrowserStack> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not at ${chromiumPath}: apt-get install chromium (.ci/run does), or set HERALD_CHROMIUM_PATH`,
    )
  }
  const app = createApp({ db: h.db, temporal: h.client, config: h.config, sink: h.sink })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // Playwright gives every launch a fresh temporary profile (user data dir).
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  const contexts: BrowserContext[] = []

  const stack: BrowserStack = {
    baseUrl,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: { width: 1366, height: 768 },
        bypassCSP: options.bypassCSP ?? false,
        // The reader's zone: UTC unless a test says otherwise, so what a page shows never depends on the machine.
        timezoneId: options.timezoneId ?? 'UTC',
      })
      contexts.push(context)
      return context.newPage()
    },
    async logIn(token) {
      const page = await stack.newPage()
      await page.goto('/login')
      await page.getByLabel('API token').fill(token)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.waitForURL(`${baseUrl}/`)
      return page
    },
    async close() {
      for (const context of contexts) await context.close()
      await browser.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return stack
}
