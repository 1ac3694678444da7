import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface CpuProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** A span on the monotonic clock (ms, as `nowMs()`); V8 profiles time samples on the same clock (µs). */
export interface TimeWindow {
  fromMs: number
  toMs: number
}

export interface ProfileEntry {
  name: string
  selfPercent: number
  totalPercent: number
}

export interface ProfileSummary {
  file: string
  samples: number
  window?: TimeWindow
  /** Share of samples in which the process did anything but idle. */
  busyPercent: number
  top: ProfileEntry[]
  /** Inclusive share of frames the lead asked about, matched by name. */
  focus: ProfileEntry[]
}

function frameName(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url
    ? url
        .replace(/^file:\/\//, '')
        .replace(/.*\/node_modules\//, '')
        .replace(/.*\/(packages|apps)\//, '$1/')
    : '(native)'
  return `${file}:${functionName || '(anonymous)'}:${lineNumber + 1}`
}

/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and tells where the time goes, by self time
 * (the frame itself) and total time (the frame and what it calls), per file:function:line.
 */
export function summarizeProfile(
  path: string,
  topN = 25,
  focusPatterns: RegExp[] = [],
  window?: TimeWindow,
): ProfileSummary {
  const profile: CpuProfile = JSON.parse(readFileSync(path, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let idle = 0
  let busy = 0
  let at = profile.startTime
  let considered = 0
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index] ?? 0
    if (window && (at / 1000 < window.fromMs || at / 1000 > window.toMs)) continue
    considered++
    const sample = profile.samples[index]
    const node = byId.get(sample)
    if (!node) continue
    const name = frameName(node)
    if (node.callFrame.functionName === '(idle)') {
      idle++
      continue
    }
    busy++
    self.set(name, (self.get(name) ?? 0) + 1)
    const seen = new Set<string>()
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)
      if (!frame) break
      const frameKey = frameName(frame)
      if (seen.has(frameKey)) continue
      seen.add(frameKey)
      total.set(frameKey, (total.get(frameKey) ?? 0) + 1)
    }
  }
  const percent = (count: number) => (busy ? (100 * count) / busy : 0)
  const entry = (name: string): ProfileEntry => ({
    name,
    selfPercent: percent(self.get(name) ?? 0),
    totalPercent: percent(total.get(name) ?? 0),
  })
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name]) => entry(name))
  const focus = [...total.entries()]
    .filter(([name]) => focusPatterns.some((pattern) => pattern.test(name)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40)
    .map(([name]) => entry(name))
  return {
    file: basename(path),
    samples: considered,
    window,
    busyPercent: considered ? (100 * busy) / (busy + idle) : 0,
    top,
    focus,
  }
}
