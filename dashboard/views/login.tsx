import { Layout, type PageContext } from './layout'

export function LoginPage(props: { page: PageContext; next: string; csrf: string; error: string | null }) {
  return (
    <Layout title="Log in" page={props.page}>
      <section class="login" aria-labelledby="login-title">
        <h1 id="login-title">Log in to Herald</h1>
        <p>Use your API token. The dashboard keeps a session cookie; the token itself is not stored.</p>
        {props.error && (
          <p class="flash flash-error" role="alert" id="login-error">
            {props.error}
          </p>
        )}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={props.next} />
          <input type="hidden" name="_csrf" value={props.csrf} />
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            required
            autofocus
            aria-describedby={props.error ? 'login-error' : undefined}
          />
          <button type="submit">Log in</button>
        </form>
      </section>
    </Layout>
  )
}
