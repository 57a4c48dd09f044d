import fs from 'node:fs'
import path from 'node:path'
import type { DashboardApp } from '../context'

const assetTypes: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
}

/** The dashboard's stylesheet and its one script, served without a session. */
export function assetFiles(app: DashboardApp): void {
  app.get('/assets/:name{dashboard\\.(css|js)}', (c) => {
    const name = c.req.param('name')
    const body = fs.readFileSync(path.join(__dirname, '..', 'assets', name))
    return c.body(new Uint8Array(body), 200, {
      'content-type': assetTypes[name],
      'cache-control': 'no-cache',
    })
  })
}
