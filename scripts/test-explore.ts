import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'

/**
 * `npm run test:explore [-- --seed N] [jest options]`: the property tests (every test file that uses
 * fast-check) with a new random seed, where `npm test` always uses the same one. Not part of CI: it looks
 * for inputs the fixed seed never tries. It prints the seed first and last, and jest prints each
 * counterexample; turn one into a named example test, then rerun with `--seed N` to see it pass.
 */
const root = path.resolve(__dirname, '..')
const args = process.argv.slice(2)
const seedAt = args.indexOf('--seed')
const seed = seedAt >= 0 ? Number(args.splice(seedAt, 2)[1]) : crypto.randomInt(2 ** 31)
if (!Number.isSafeInteger(seed)) throw new Error('--seed takes an integer')

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return testFiles(file)
    return entry.name.endsWith('.test.ts') && /from 'fast-check'/.test(fs.readFileSync(file, 'utf8'))
      ? [path.relative(root, file)]
      : []
  })
}

const files = testFiles(path.join(root, 'test'))
const reproduce = `HERALD_TEST_SEED=${seed} npx jest ${files.join(' ')}`
console.log(`test:explore: seed ${seed}, ${files.length} files with properties\n  ${files.join('\n  ')}\n`)
const jest = spawnSync(
  process.execPath,
  // Files first: `--selectProjects` and its kind take every word after them.
  [require.resolve('jest/bin/jest'), ...files, '--ignoreProjects', 'browser', ...args],
  { cwd: root, stdio: 'inherit', env: { ...process.env, HERALD_TEST_SEED: String(seed) } },
)
console.log(
  jest.status === 0
    ? `\ntest:explore: seed ${seed} found no counterexample`
    : `\ntest:explore: seed ${seed} FAILED; the counterexamples are above. Reproduce with\n  ${reproduce}`,
)
process.exit(jest.status ?? 1)
