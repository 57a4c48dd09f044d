import fs from 'node:fs'
import path from 'node:path'
import { Hono } from 'hono'
import { compress } from 'hono/compress'

/**
 * The API docs page: Swagger UI over `/api/openapi.json`, its assets served from node_modules so the
 * page works without internet access. No token is needed to read it; "Authorize" takes one to try
 * requests.
 */

const assetDir = path.dirname(require.resolve('swagger-ui-dist/package.json'))
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

const initScript = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
  })
})
`

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Herald API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui"></main>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
`

export function docsRoutes() {
  const app = new Hono()
  const cache = new Map<string, Buffer>()
  app.use('/docs/*', compress())
  app.get('/docs', (c) => c.html(page))
  app.get('/docs/init.js', (c) => c.body(initScript, 200, { 'content-type': assets['swagger-ui-bundle.js'] }))
  app.get('/docs/:asset{swagger-ui\\.css|swagger-ui-bundle\\.js}', (c) => {
    const name = c.req.param('asset')
    let body = cache.get(name)
    if (!body) cache.set(name, (body = fs.readFileSync(path.join(assetDir, name))))
    return c.body(new Uint8Array(body), 200, {
      'content-type': assets[name],
      'cache-control': 'public, max-age=86400',
    })
  })
  return app
}
