import { readForm, type Dashboard, type DashboardApp, type DashboardContext } from '../context'
import { endSession, loginFormToken, sessionUser, startSession, takeLoginFormToken } from '../session'
import { LoginPage } from '../views/login'

/**
 * The pages a login may lead back to (`next`): any other path, and any other host however it is spelt,
 * leads to `/`.
 */
const pagesToReturnTo = [
  /^\/$/,
  /^\/deliveries\/\d+$/,
  /^\/recurring-deliveries$/,
  /^\/recurring-deliveries\/\d+$/,
  /^\/mailbox$/,
  /^\/mailbox\/\d+$/,
  /^\/imports$/,
]
const nowhere = 'http://dashboard.invalid'

/**
 * Where to go after logging in. Checked after normalising `next` as a browser would (it drops tabs and
 * newlines, reads `\` as `/`, resolves dots), and rebuilt from the normalised URL: only one of the
 * dashboard's own pages, on this host, with its query.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2000) return '/'
  let url: URL
  try {
    url = new URL(next, nowhere)
  } catch {
    return '/'
  }
  if (url.origin !== nowhere || !pagesToReturnTo.some((page) => page.test(url.pathname))) return '/'
  return url.pathname + url.search
}

/** Logging in with an API token: the only pages served without a session. */
export function loginPages(app: DashboardApp, dash: Dashboard): void {
  const { db } = dash.deps
  const loginPage = async (
    c: DashboardContext,
    next: string,
    error: string | null,
    status: 200 | 401 | 403 = 200,
  ) => {
    const token = await loginFormToken(c, dash.sessionOptions(c), c.req.method === 'POST')
    return c.html(<LoginPage page={dash.pageContext(c)} next={next} csrf={token} error={error} />, status)
  }

  app.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'))
    if (await sessionUser(c, db, dash.sessionSecret)) return c.redirect(next, 303)
    return loginPage(c, next, null)
  })

  app.post('/login', async (c) => {
    const form = await readForm(c)
    const next = safeNext(form.next)
    // Before the token is even looked at: a form that did not come from this browser's login page.
    if (!(await takeLoginFormToken(c, dash.sessionSecret, form._csrf, dash.isSecure(c)))) {
      const error =
        'This login form has expired or did not come from the login page; reload the page and log in again.'
      return loginPage(c, next, error, 403)
    }
    const token = typeof form.token === 'string' ? form.token.trim() : ''
    const user = token ? await dash.deps.userForToken(token) : null
    if (!user) return loginPage(c, next, 'This API token is unknown or revoked.', 401)
    await startSession(c, db, user.tokenId, dash.sessionOptions(c))
    return c.redirect(next, 303)
  })
}

/** Logging out (with a session): the session ends on the server. */
export function logoutPage(app: DashboardApp, dash: Dashboard): void {
  app.post('/logout', async (c) => {
    await endSession(c, dash.deps.db, c.get('session'), dash.isSecure(c))
    return c.redirect('/login', 303)
  })
}
