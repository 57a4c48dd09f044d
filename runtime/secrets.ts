import crypto from 'node:crypto'
import fs from 'node:fs'

/**
 * A secret made on first start and kept in the data folder (tracking links, dashboard sessions), so a
 * restart keeps links valid and users logged in. 32 random bytes: it passes config/env's rule.
 */
export function localSecret(file: string): string {
  if (!fs.existsSync(file))
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { mode: 0o600 })
  return fs.readFileSync(file, 'utf8').trim()
}
