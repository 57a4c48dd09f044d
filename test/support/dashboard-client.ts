import type { Harness } from './harness'

/** The dashboard over HTTP without a browser: keeps cookies, sends the page's origin with forms. */
export function dashboardClient(h: Harness, origin = 'http://localhost') {
  const jar = new Map<string, string>()
  const request = async (
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const res = await h.app.request(path, {
      method,
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]
      if (value && !/Max-Age=0/i.test(cookie)) jar.set(name, value)
      else jar.delete(name)
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text(), res }
  }
  return {
    jar,
    get: (path: string) => request('GET', path),
    post: (path: string, form: Record<string, string>, headers?: Record<string, string>) =>
      request('POST', path, form, headers),
    /** Logs in as a person does: the login page first (its form carries a token of its own), then the form. */
    async logIn(token: string, next = '/') {
      const page = await request('GET', '/login')
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1]
      const res = await request('POST', '/login', { token, next, ...(csrf ? { _csrf: csrf } : {}) })
      if (res.status !== 303) throw new Error(`log in: ${res.status}`)
      return res
    },
    /** The CSRF token of the page's forms. */
    async csrfOf(path: string) {
      const page = await request('GET', path)
      if (page.status !== 200) throw new Error(`${path}: ${page.status}`)
      return /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
    },
  }
}

export type DashboardClient = ReturnType<typeof dashboardClient>
