import fs from 'node:fs'
import path from 'node:path'
import type { Locator, Page } from 'playwright-core'
import {
  importProfiles,
  readyDelivery,
  receivedFor,
  sleep,
  startHarness,
  type Harness,
} from '../support/harness'
import { startBrowserStack, type BrowserStack } from '../support/browser'
import { createRecurring, stopAllRecurring, waitForRuns, withStatus } from '../support/recurring'

/**
 * The dashboard in Debian's Chromium against the real stack: Temporal dev server, SQLite, the SMTP
 * sink, a worker, and the app served over HTTP. Set HERALD_SCREENSHOT_DIR=docs to refresh the README's
 * screenshots.
 */
/** Polls the page until `check` holds (what the page shows changes on its own while a delivery moves). */
async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${timeoutMs} ms: ${check.toString()}`)
    await sleep(100)
  }
}

describe('the dashboard in a browser', () => {
  let h: Harness
  let stack: BrowserStack
  beforeAll(async () => {
    // A rate limit makes the send last a few seconds, so the Deployment block is seen moving; recurrences
    // run seconds apart.
    h = await startHarness({ env: { HERALD_RATE_LIMIT: '15', HERALD_MIN_RECURRENCE: '1s' } })
    stack = await startBrowserStack(h)
  })
  afterAll(async () => {
    if (h) await stopAllRecurring(h)
    await stack?.close()
    await h?.close()
  })

  const screenshotDir = process.env.HERALD_SCREENSHOT_DIR
  const screenshot = async (page: Page, name: string, fullPage = false) => {
    if (!screenshotDir) return
    fs.mkdirSync(screenshotDir, { recursive: true })
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage })
  }
  const backgroundOf = (locator: Locator) =>
    locator.evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor as string)
  const tile = (page: Page, key: string) => page.locator(`[data-tile="${key}"]`).innerText()
  const badge = (page: Page) => page.locator('.title-row .status')

  async function createDelivery(label: string, profileIds: number[], extra: Record<string, unknown> = {}) {
    const created = await h.api('POST', '/api/deliveries', {
      body: {
        label,
        subject: 'Hello {{firstName}}',
        text: 'Hi {{firstName}}',
        audience: { profileIds },
        ...extra,
      },
    })
    expect(created.status).toBe(201)
    return created.body.id as number
  }

  async function prepared(label: string, profileIds: number[]) {
    const id = await createDelivery(label, profileIds)
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')
    return id
  }

  test('an approver logs in with an API token, finds the delivery by status and label, and approves it', async () => {
    const ids = await importProfiles(h, 3)
    const spring = await prepared('Spring sale', ids)
    const autumn = await createDelivery('Autumn news', ids)

    const page = await stack.logIn(h.tokens.approve)
    const session = (await page.context().cookies()).find((c) => c.name === 'herald_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(session!.value).not.toContain(h.tokens.approve)

    const row = (label: string) => page.getByRole('row').filter({ hasText: label })
    await expect(row('Spring sale').locator('.status').innerText()).resolves.toBe('Awaiting approval')
    await expect(row('Autumn news').locator('.status').innerText()).resolves.toBe('Draft')
    // ACS colours: editing grey (both are editing), from the logical status.
    expect(await backgroundOf(row('Spring sale').locator('.status'))).toBe('rgb(87, 96, 106)')

    await page.getByLabel('Status').selectOption('awaiting_approval')
    await page.getByRole('button', { name: 'Filter' }).click()
    await expect(row('Spring sale').count()).resolves.toBe(1)
    await expect(row('Autumn news').count()).resolves.toBe(0)
    await page.getByLabel('Status').selectOption('')
    await page.getByLabel('Label contains').fill('autumn')
    await page.getByRole('button', { name: 'Filter' }).click()
    await expect(row('Autumn news').count()).resolves.toBe(1)
    await expect(row('Spring sale').count()).resolves.toBe(0)

    await page.goto(`/deliveries/${spring}`)
    const temporalLink = page.getByRole('link', { name: /in the Temporal UI/ })
    await expect(temporalLink.getAttribute('href')).resolves.toBe(
      `${h.config.temporal.uiUrl}/namespaces/default/workflows/${h.config.temporal.workflowIdPrefix}delivery-${spring}`,
    )
    await page.getByRole('button', { name: 'Approve' }).click()
    await expect(page.getByRole('status').innerText()).resolves.toContain('Approved')
    await expect(badge(page).innerText()).resolves.toBe('Ready to send')
    const after = await h.api('GET', `/api/deliveries/${spring}`)
    expect(after.body).toMatchObject({ status: 'ready', approvedBy: 'approve-user' })
    expect((await h.api('GET', `/api/deliveries/${autumn}`)).body.status).toBe('draft')
  })

  test('a prepare user sees that they lack the "Start deliveries" role instead of Confirm send', async () => {
    const id = await readyDelivery(h, await importProfiles(h, 2), { label: 'Needs a starter' })
    const page = await stack.logIn(h.tokens.prepare)
    await page.goto(`/deliveries/${id}`)
    await expect(page.locator('[data-refusal="confirm"]').innerText()).resolves.toBe(
      'You do not have the "Start deliveries" role (start) needed to confirm the send of a delivery.',
    )
    await expect(page.getByRole('button', { name: 'Confirm send' }).count()).resolves.toBe(0)
    await screenshot(page, 'delivery-missing-role')
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('ready')
  })

  test('a start user confirms the send in an OK dialog stating the count, and watches it reach 100 %', async () => {
    const count = 30
    const id = await readyDelivery(h, await importProfiles(h, count), { label: 'Welcome series' })
    const page = await stack.logIn(h.tokens.start)
    const polled: { status: string; processed: number }[] = []
    page.on('response', (response) => {
      if (!response.url().endsWith(`/deliveries/${id}/live`)) return
      // The last one (a new status) reloads the page, which discards its body: only earlier ones count.
      response.json().then(
        (figures) => polled.push({ status: figures.status, processed: figures.progress.processed }),
        () => undefined,
      )
    })
    await page.goto(`/deliveries/${id}`)
    await expect(tile(page, 'toDeliver')).resolves.toBe('30')

    await page.getByRole('button', { name: 'Confirm send' }).click()
    const dialog = page.getByRole('dialog', { name: 'Confirm send' })
    await expect(dialog.isVisible()).resolves.toBe(true)
    await expect(dialog.locator('[data-field="confirm-count"]').innerText()).resolves.toBe('30 messages')
    await screenshot(page, 'delivery-confirm')
    expect(h.sink.messages).toHaveLength(0)
    await dialog.getByRole('button', { name: 'OK' }).click()
    await expect(page.getByRole('status').first().innerText()).resolves.toContain('Send confirmed')

    const progress = async () => Number(await page.locator('#deployment-progress').getAttribute('value'))
    if (screenshotDir) {
      await until(async () => (await progress()) > 20)
      await screenshot(page, 'delivery-sending')
    }
    await until(async () => (await progress()) === 100)
    await until(async () => (await badge(page).innerText()) === 'Finished')
    expect(await badge(page).getAttribute('data-logical-status')).toBe('finished')
    expect(await tile(page, 'sent')).toBe('30')
    expect(await tile(page, 'delivered')).toBe('100 %')
    expect(await tile(page, 'bounces')).toBe('0 %')
    // The send lasts at least 2 s (15 messages/s): the page polled its figures while it was sending.
    expect(polled.some((p) => p.status === 'sending')).toBe(true)
    await screenshot(page, 'delivery-finished')
    expect(receivedFor(h, id).size).toBe(count)

    await page.getByRole('link', { name: 'Mailbox' }).click()
    await page.waitForURL('**/mailbox')
    const newest = h.sink.messages.filter((m) => m.messageId?.startsWith(`<herald.d${id}.`)).at(-1)!
    const row = page.getByRole('row').filter({ hasText: newest.messageId! })
    await expect(row.count()).resolves.toBe(1)
    await screenshot(page, 'mailbox')
    await row.getByRole('link').click()
    await page.waitForURL(`**/mailbox/${newest.seq}`)
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(newest.subject)
    await expect(page.locator('.message-text').innerText()).resolves.toMatch(/^Hi First\d+/)
  })

  test('Compute stats after a message is opened refreshes the open rate (the button comes with the tracking API)', async () => {
    const ids = await importProfiles(h, 1)
    const id = await readyDelivery(h, ids, {
      label: 'Tracked',
      tracking: true,
      html: '<p>Hi {{firstName}}, <a href="https://example.com/offer">see the offer</a></p>',
    })
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start', body: { expectedMessages: 1 } })
    await h.waitForStatus(id, 'finished')
    const page = await stack.logIn(h.tokens.start)
    await page.goto(`/deliveries/${id}`)
    const computeStats = page.getByRole('button', { name: 'Compute stats' })
    const document = (await (await fetch(`${stack.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    if (!document.paths['/api/deliveries/{id}/compute-stats']?.post) {
      // Until the tracking issue adds Compute stats to the API, the dashboard offers no such button and
      // shows no open rate.
      await expect(computeStats.count()).resolves.toBe(0)
      await expect(tile(page, 'opens')).resolves.toBe('—')
      return
    }
    await expect(tile(page, 'opens')).resolves.toMatch(/^(—|0 %)$/)
    // Open the message as a mail client would: fetch the images of the HTML the sink received.
    const received = h.sink.messages.find((m) => m.messageId?.startsWith(`<herald.d${id}.`))!
    const html = (await h.sink.parsed(received.seq)).html || ''
    const images = [...html.matchAll(/<img[^>]+src="([^"]+)"/g)].map(
      (m) => new URL(m[1].replace(/&amp;/g, '&')),
    )
    expect(images.length).toBeGreaterThan(0)
    for (const image of images) await fetch(`${stack.baseUrl}${image.pathname}${image.search}`)
    await computeStats.click()
    await expect(page.getByRole('status').first().innerText()).resolves.toContain('Stats computed')
    await expect(tile(page, 'opens')).resolves.toBe('100 %')
  })

  /** A recurrence that asks before each send, run once now, and its run once it waits. */
  async function waitingRun(label: string, count: number) {
    const profileIds = await importProfiles(h, count)
    const id = await createRecurring(
      h,
      { label, audience: { profileIds }, confirmBeforeEachSend: true, recurrence: { every: '1h' } },
      'prepare',
    )
    await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'waiting_for_confirmation').length === 1)
    return { id, run }
  }

  test('a start user confirms a waiting run in the OK dialog stating its count, and the page follows the run until it is sent', async () => {
    const count = 12
    const profileIds = await importProfiles(h, count)
    // Hourly, and run now once the page is open: the page sees the run come, and it cannot expire
    // (the next one is an hour away) however long the browser takes.
    const id = await createRecurring(
      h,
      {
        label: 'Daily digest',
        audience: { profileIds },
        confirmBeforeEachSend: true,
        recurrence: { every: '1h' },
      },
      'prepare',
    )
    const trigger = () => h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })
    const page = await stack.logIn(h.tokens.start)
    await page.getByRole('link', { name: 'Recurring deliveries' }).click()
    await page.waitForURL('**/recurring-deliveries')
    const listRow = page.getByRole('row').filter({ hasText: 'Daily digest' })
    await expect(listRow.locator('.status').innerText()).resolves.toBe('Active')
    await expect(listRow.getByRole('cell', { name: 'Every hour' }).count()).resolves.toBe(1)
    await listRow.getByRole('link', { name: 'Daily digest' }).click()
    await page.waitForURL(`**/recurring-deliveries/${id}`)

    const confirm = page.getByRole('button', { name: 'Confirm', exact: true })
    expect(await confirm.count()).toBe(0)
    expect((await trigger()).status).toBe(200)
    await until(async () => (await confirm.count()) === 1)
    const [run] = await waitForRuns(h, id, (r) => r.length >= 1)
    const row = page.locator(`tr[data-run="${run.id}"]`)
    await expect(row.locator('.status').innerText()).resolves.toBe('Waiting for confirmation')
    await confirm.click()
    const dialog = page.getByRole('dialog', { name: `Confirm the send of run ${run.id}` })
    await expect(dialog.isVisible()).resolves.toBe(true)
    await expect(dialog.locator('[data-field="confirm-count"]').innerText()).resolves.toBe('12 messages')
    await screenshot(page, 'recurring-confirm')
    expect(receivedFor(h, run.executionId).size).toBe(0)
    await dialog.getByRole('button', { name: 'OK' }).click()
    await expect(page.getByRole('status').first().innerText()).resolves.toBe(
      `Run ${run.id} confirmed: sending.`,
    )

    // The page refreshes itself until the run is sent (15 messages/s: about a second of sending).
    await until(async () => (await row.locator('.status').innerText()) === 'Sent')
    await until(
      async () => (await row.locator(`[data-field="run-${run.id}-delivered"]`).innerText()) === '12',
    )
    expect(await tile(page, 'delivered')).toBe('100 %')
    expect(receivedFor(h, run.executionId).size).toBe(count)
    const execution = page.getByRole('link', { name: `Execution ${run.executionId}` }).first()
    if (screenshotDir) {
      // The next run comes and waits, beside the one sent: the page as the README shows it.
      expect((await trigger()).status).toBe(200)
      await until(async () => (await confirm.count()) === 1)
      await screenshot(page, 'recurring-delivery', true)
    }
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })

    await execution.click()
    await page.waitForURL(`**/deliveries/${run.executionId}`)
    await expect(badge(page).innerText()).resolves.toBe('Finished')
    await expect(page.locator(`[data-execution-of="${id}"]`).count()).resolves.toBe(1)
    await expect(page.getByRole('button', { name: 'Confirm send' }).count()).resolves.toBe(0)
  })

  test('a workflow user sees that they lack "Start deliveries" instead of Confirm, and pauses and resumes the recurrence', async () => {
    const { id, run } = await waitingRun('Weekly offers', 3)
    const page = await stack.logIn(h.tokens.workflow)
    await page.goto(`/recurring-deliveries/${id}`)
    await expect(page.locator('[data-refusal="confirm"]').innerText()).resolves.toBe(
      'You do not have the "Start deliveries" role (start) needed to confirm the send of a run.',
    )
    await expect(page.getByRole('button', { name: 'Confirm', exact: true }).count()).resolves.toBe(0)
    await screenshot(page, 'recurring-missing-role')

    await page.getByRole('button', { name: 'Pause' }).click()
    await expect(page.getByRole('status').first().innerText()).resolves.toBe(
      'Paused: no run starts until it is resumed.',
    )
    await expect(page.locator('.title-row .status').innerText()).resolves.toBe('Paused')
    await expect(page.locator('[data-field="schedule-state"]').innerText()).resolves.toContain('Paused')
    expect((await h.api('GET', `/api/recurring-deliveries/${id}`)).body).toMatchObject({
      status: 'paused',
      schedule: { paused: true },
    })
    await page.getByRole('button', { name: 'Resume' }).click()
    await expect(page.locator('.title-row .status').innerText()).resolves.toBe('Active')
    expect((await h.api('GET', `/api/recurring-deliveries/${id}`)).body).toMatchObject({
      status: 'active',
      schedule: { paused: false },
    })
    const [still] = await waitForRuns(h, id, (r) => r.length === 1)
    expect(still).toMatchObject({ id: run.id, status: 'waiting_for_confirmation' })
    expect(receivedFor(h, run.executionId).size).toBe(0)
  })

  test('an editor sends a proof from the delivery page; dates name their zone, the reader’s time beside the delivery’s own', async () => {
    const ids = await importProfiles(h, 2)
    const id = await createDelivery('Proof me', ids, {
      contactDate: '2030-01-01T09:00',
      timeZone: 'Europe/Paris',
    })
    await h.api('POST', `/api/deliveries/${id}/prepare`)
    await h.waitForStatus(id, 'awaiting_approval')

    const page = await stack.newPage({ timezoneId: 'America/New_York' })
    await page.goto('/login')
    await page.getByLabel('API token').fill(h.tokens.prepare)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${stack.baseUrl}/`)
    await page.goto(`/deliveries/${id}`)
    // The contact date in Paris, where the delivery is set; the reader in New York sees theirs beside it.
    const contact = page.locator('.summary div', { hasText: 'Contact date' }).locator('dd')
    await expect(contact.innerText()).resolves.toMatch(
      /^2030-01-01 09:00 Europe\/Paris \(your time: Jan 1, 2030, 0?3:00 AM America\/New_York\)$/,
    )
    // A date without a zone of its own is shown in the reader's, named.
    const created = page.locator('.summary div', { hasText: 'Created' }).locator('time')
    await expect(created.innerText()).resolves.toMatch(/ America\/New_York$/)

    await page.getByText('Send proof…').click()
    await page.getByLabel('Proof addresses').fill('ada@proof.test, bob@proof.test')
    await page.getByRole('button', { name: 'Send proof' }).click()
    await page.waitForURL(`${stack.baseUrl}/deliveries/${id}`)
    await expect(page.getByText('Proof 1 sent (2 messages).').count()).resolves.toBe(1)
    const rows = page.locator('[data-table="proofs"] tbody tr')
    await expect(rows.count()).resolves.toBe(2)
    await expect(rows.nth(1).innerText()).resolves.toContain('bob@proof.test')
    await screenshot(page, 'proofs')
  })

  test('a delivery sent at each recipient’s local time shows its waves: instant in its zone, recipients, sent, the next one', async () => {
    // 30 minutes from now in UTC: already past in UTC+1 (Etc/GMT-1), an hour and a half ahead in UTC−1.
    const wall = new Date(Date.now() + 30 * 60_000).toISOString().slice(0, 19)
    const ids = await importProfiles(h, 2, (i) => ({ timeZone: ['Etc/GMT-1', 'Etc/GMT+1'][i - 1] }), 'wave')
    const id = await readyDelivery(h, ids, {
      label: 'Local morning',
      contactDate: wall,
      timeZone: 'UTC',
      recipientTimeZone: true,
    })
    const confirmed = await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    expect(confirmed.body.status).toBe('sending')
    await h.waitForStatus(id, 'sending')

    const page = await stack.newPage({ timezoneId: 'UTC' })
    await page.goto('/login')
    await page.getByLabel('API token').fill(h.tokens.start)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(`${stack.baseUrl}/`)
    await page.goto(`/deliveries/${id}`)
    const contact = page.locator('.summary div', { hasText: 'Contact date' }).locator('dd')
    await expect(contact.innerText()).resolves.toContain('in each recipient’s time zone')

    const waves = page.locator('[data-section="waves"]')
    await expect(waves.getByRole('heading', { name: 'Waves' }).count()).resolves.toBe(1)
    const first = waves.locator('tr[data-wave="1"]')
    const second = waves.locator('tr[data-wave="2"]')
    // The first wave (past at the confirmation) is sent; the page shows it once reloaded.
    await until(async () => {
      await page.reload()
      return (await first.locator('td').nth(4).innerText()) === '1'
    })
    const [hh, mm, ss] = wall.slice(11).split(':')
    await expect(first.innerText()).resolves.toContain(`${hh}:${mm}:${ss} Etc/GMT-1`)
    await expect(second.innerText()).resolves.toContain(`${hh}:${mm}:${ss} Etc/GMT+1`)
    await expect(second.locator('td').nth(3).innerText()).resolves.toBe('1') // recipients
    await expect(second.locator('td').nth(4).innerText()).resolves.toBe('0') // sent
    await expect(waves.locator('[data-field="next-wave"]').innerText()).resolves.toMatch(
      new RegExp(`^Next wave: .*${hh}:${mm}:${ss} Etc/GMT\\+1.*\\(1 recipient, 0 sent\\)$`),
    )
    await screenshot(page, 'delivery-waves')
    await h.api('POST', `/api/deliveries/${id}/stop`, { as: 'start' })
  })

  test('the API docs page lists every route with its roles, without loading anything from elsewhere', async () => {
    const page = await stack.newPage()
    const elsewhere: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(stack.baseUrl) && !url.startsWith('data:')) elsewhere.push(url)
    })
    await page.goto('/api/docs')
    const confirm = page.locator('#operations-deliveries-post_api_deliveries__id__confirm')
    await confirm.locator('.opblock-summary').click()
    const described = await confirm.innerText()
    expect(described).toContain('Roles: Start deliveries (start).')
    expect(described).toMatch(/403\s+Refused for this user; the reply names the role they lack/)
    expect(described).toMatch(/409\s+Illegal in the current state/)
    expect(elsewhere).toEqual([])
    await screenshot(page, 'api-docs')
  })

  test('the pages pass axe’s WCAG 2 A/AA checks, status colours included, and the OK dialog works from the keyboard', async () => {
    const recurring = waitingRun('Accessible recurrence', 2)
    const ids = await importProfiles(h, 2)
    const id = await readyDelivery(h, ids, { label: 'Keyboard only' })
    // One delivery per ACS colour, so the contrast of every status badge is checked.
    const broken = await createDelivery('Broken personalisation', ids, { subject: 'Hi {{nickname}}' })
    await h.api('POST', `/api/deliveries/${broken}/prepare`)
    await h.waitForStatus(broken, 'preparation_failed')
    const later = { contactDate: '2030-01-01T09:00', timeZone: 'Europe/Paris' }
    const scheduled = await readyDelivery(h, ids, { label: 'New year greetings', ...later })
    await h.api('POST', `/api/deliveries/${scheduled}/confirm`, {
      as: 'start',
      body: { expectedMessages: 2 },
    })
    const stopped = await readyDelivery(h, ids, { label: 'Cancelled promotion', ...later })
    await h.api('POST', `/api/deliveries/${stopped}/confirm`, { as: 'start', body: { expectedMessages: 2 } })
    await h.api('POST', `/api/deliveries/${stopped}/stop`, { as: 'start' })
    await h.waitForStatus(stopped, 'stopped')

    const page = await stack.newPage({ bypassCSP: true })
    const axe = async () => {
      await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
      const result = await page.evaluate(() =>
        (globalThis as any).axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }),
      )
      return result.violations.map((v: { id: string; nodes: { target: string[] }[] }) => ({
        rule: v.id,
        where: v.nodes.map((n) => n.target.join(' ')),
      }))
    }
    await page.goto('/login')
    expect(await axe()).toEqual([])
    await page.getByLabel('API token').fill(h.tokens.start)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${stack.baseUrl}/`)
    const logical = await page
      .locator('tbody .status')
      .evaluateAll((badges) => badges.map((badge) => badge.getAttribute('data-logical-status')))
    expect(new Set(logical)).toEqual(new Set(['editing', 'in_progress', 'finished', 'warning', 'error']))
    expect(await axe()).toEqual([])
    await screenshot(page, 'deliveries')
    // A delivery with an alert (its failed preparation): the Alerts table names it.
    await page.goto(`/deliveries/${broken}`)
    await expect(page.getByRole('cell', { name: 'Preparation failed' }).isVisible()).resolves.toBe(true)
    expect(await axe()).toEqual([])
    await page.goto(`/deliveries/${id}`)
    expect(await axe()).toEqual([])

    const confirmSend = page.getByRole('button', { name: 'Confirm send' })
    await confirmSend.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Confirm send' })
    await expect(dialog.isVisible()).resolves.toBe(true)
    expect(await axe()).toEqual([])
    await page.keyboard.press('Escape')
    await expect(dialog.isVisible()).resolves.toBe(false)
    await expect(
      confirmSend.evaluate((el) => el === (globalThis as any).document.activeElement),
    ).resolves.toBe(true)
    expect((await h.api('GET', `/api/deliveries/${id}`)).body.status).toBe('ready')

    await page.goto('/mailbox')
    expect(await axe()).toEqual([])

    // Import profiles: the README's example file, uploaded; the result lists the rejected lines.
    await page.goto('/imports')
    expect(await axe()).toEqual([])
    await page.getByLabel('CSV file').setInputFiles(require.resolve('../../docs/profiles-example.csv'))
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.waitForURL(/\/imports\?id=\d+$/)
    await expect(page.getByRole('cell', { name: 'email: invalid address' }).isVisible()).resolves.toBe(true)
    expect(await axe()).toEqual([])
    await screenshot(page, 'import-profiles')

    const { id: recurringId, run } = await recurring
    await page.goto('/recurring-deliveries')
    expect(await axe()).toEqual([])
    await screenshot(page, 'recurring-deliveries')
    await page.goto(`/recurring-deliveries/${recurringId}`)
    expect(await axe()).toEqual([])
    const confirmRun = page.getByRole('button', { name: 'Confirm', exact: true })
    await confirmRun.focus()
    await page.keyboard.press('Enter')
    const runDialog = page.getByRole('dialog', { name: `Confirm the send of run ${run.id}` })
    await expect(runDialog.isVisible()).resolves.toBe(true)
    expect(await axe()).toEqual([])
    await page.keyboard.press('Escape')
    await expect(runDialog.isVisible()).resolves.toBe(false)
    await expect(
      confirmRun.evaluate((el) => el === (globalThis as any).document.activeElement),
    ).resolves.toBe(true)
    expect((await h.api('GET', `/api/recurring-deliveries/${recurringId}/runs/${run.id}`)).body.status).toBe(
      'waiting_for_confirmation',
    )
  })
})
