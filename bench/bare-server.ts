import { Hono } from 'hono'
import { serve } from '@hono/node-server'

/** P2's baseline: a bare Hono route answering the same 1×1 GIF, on the same server setup, no database. */
const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const app = new Hono()
app.get('/t/o/:token', (c) =>
  c.body(pixel, 200, { 'content-type': 'image/gif', 'cache-control': 'no-cache, no-store, must-revalidate' }),
)
serve({ fetch: app.fetch, port: Number(process.env.HERALD_PORT), hostname: '127.0.0.1' }, () =>
  process.send?.('ready'),
)
