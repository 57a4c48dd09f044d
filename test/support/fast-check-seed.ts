import fc from 'fast-check'
import { testSeed } from './seed'

/** Every property of every test file draws from the run's seed (see seed.ts). */
fc.configureGlobal({ seed: testSeed() })
