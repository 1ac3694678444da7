import { createServer } from 'node:http'
import { nowMs } from './clock'
import { readIdFromBody } from './envelope'

/**
 * The fast sink standing in for the agent, run as its own process: a plain HTTP server that
 * reads each body, timestamps its arrival (monotonic clock, comparable across processes),
 * counts it by (runTag, seq), and answers 200. The bench drives it over IPC.
 */
export type SinkRequest =
  | { type: 'reset'; runTag: number }
  | { type: 'count' }
  | { type: 'arrivals' }
  | { type: 'close' }

export interface SinkCount {
  unique: number
  total: number
  duplicates: number
  foreign: number
  firstAt: number
  lastAt: number
}

let runTag = -1
let arrivals = new Map<number, number>()
let total = 0
let duplicates = 0
let foreign = 0
let firstAt = 0
let lastAt = 0

const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const at = nowMs()
    const id = readIdFromBody(Buffer.concat(chunks).toString('utf8'))
    if (id && id.runTag === runTag) {
      total++
      if (arrivals.has(id.seq)) duplicates++
      else arrivals.set(id.seq, at)
      if (firstAt === 0) firstAt = at
      lastAt = at
    } else {
      foreign++
    }
    response.writeHead(200, { 'content-length': '0' })
    response.end()
  })
})
server.keepAliveTimeout = 60_000

function count(): SinkCount {
  return { unique: arrivals.size, total, duplicates, foreign, firstAt, lastAt }
}

process.on('message', (message: SinkRequest & { requestId: number }) => {
  const reply = (body: unknown) => process.send?.({ requestId: message.requestId, body })
  switch (message.type) {
    case 'reset':
      runTag = message.runTag
      arrivals = new Map()
      total = 0
      duplicates = 0
      foreign = 0
      firstAt = 0
      lastAt = 0
      reply(count())
      break
    case 'count':
      reply(count())
      break
    case 'arrivals':
      reply([...arrivals.entries()])
      break
    case 'close':
      server.closeAllConnections()
      server.close(() => {
        reply(null)
        process.exit(0)
      })
      break
  }
})

server.listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.({ requestId: 0, body: 'listening' }))
