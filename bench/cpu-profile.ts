import fs from 'node:fs'
import path from 'node:path'

/**
 * Reads the `.cpuprofile` files of `node --cpu-prof` (one per thread: the worker's main thread runs
 * activities, its workflow threads the workflows) and says where the time went: self time by package or
 * Herald folder, and the busiest functions, in µs per message.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  startTime: number
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ThreadProfile {
  file: string
  busyMs: number
  idleMs: number
  /** [what, µs per message, share of busy time %] */
  byWhat: [string, number, number][]
  topFunctions: [string, number, number][]
  /**
   * Time spent in Node's internals and native code, by the first caller outside them (a package or a
   * Herald file): who asks for the socket writes, timers, errors and buffers.
   */
  internalsByCaller: [string, number, number][]
}

const root = path.resolve(__dirname, '..')

/** A package (`nodemailer`, `@temporalio/worker`), a Node module, a Herald folder, or V8's own. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/')
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  if (url.startsWith('node:')) return url.split('/')[0]
  const file = url.replace(/^file:\/\//, '')
  if (file.startsWith(root)) return `herald ${path.relative(root, file).split('/').slice(0, 2).join('/')}`
  return 'other'
}

function top(
  map: Map<string, number>,
  busyUs: number,
  messages: number,
  n: number,
): [string, number, number][] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => [name, Math.round((us / messages) * 10) / 10, Math.round((us / busyUs) * 1000) / 10])
}

/** `window`: [from, to] in µs of the monotonic clock (process.hrtime), which V8's profiles use too. */
export type Window = [number, number]

export function analyseCpuProfile(file: string, messages: number, window?: Window): ThreadProfile {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const internal = (what: string) => what.startsWith('node:') || what === '(native)'
  const callerOf = (id: number): string => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame
      const what = categoryOf(frame)
      if (!internal(what) && what !== '(root)') return `${frame.functionName || '(anonymous)'} [${what}]`
    }
    return '(none)'
  }
  const byCaller = new Map<string, number>()
  const byWhat = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let idleUs = 0
  let busyUs = 0
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    at += us
    if (window && (at < window[0] || at > window[1])) return
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)') {
      idleUs += us
      return
    }
    busyUs += us
    const what = categoryOf(frame)
    byWhat.set(what, (byWhat.get(what) ?? 0) + us)
    if (internal(what)) {
      const caller = callerOf(id)
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us)
    }
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : ''
    const name = `${frame.functionName || '(anonymous)'} ${where} [${what}]`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  })
  return {
    file: path.basename(file),
    busyMs: Math.round(busyUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    byWhat: top(byWhat, busyUs, messages, 14),
    topFunctions: top(byFunction, busyUs, messages, 15),
    internalsByCaller: top(byCaller, busyUs, messages, 15),
  }
}

/** Every thread's profile in a `--cpu-prof-dir`, the busiest first. */
export function analyseCpuProfiles(dir: string, messages: number, window?: Window): ThreadProfile[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => analyseCpuProfile(path.join(dir, name), messages, window))
    .sort((a, b) => b.busyMs - a.busyMs)
}
