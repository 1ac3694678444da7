import type { Server } from 'node:http'
import express from 'express'
import { serveOnLoopback } from '../../http/__tests__/support/serveOnLoopback'
import { StatusStreams } from '../StatusStreams'

/** Reads a stream until `count` status events came, or it ended. */
async function statusEvents(url: string, count: number): Promise<string[]> {
  const response = await fetch(url)
  const reader = response.body?.getReader()
  if (!reader) throw new Error('no body')
  const events: string[] = []
  let text = ''
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    text += Buffer.from(value).toString()
    const blocks = text.split('\n\n')
    text = blocks.pop() ?? ''
    for (const block of blocks) if (block.startsWith('event: status')) events.push(block.split('data: ')[1])
  }
  await reader.cancel()
  return events
}

describe('StatusStreams', () => {
  let server: Server
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  })

  it('skips an update whose snapshot throws, reports it once, and goes on with the next', async () => {
    const errors: unknown[] = []
    const streams = new StatusStreams({ maxStreams: 2, intervalMs: 10, onError: (error) => errors.push(error) })
    let calls = 0
    const app = express()
    app.get('/events', (_req, res) => {
      streams.open(res, {
        snapshot: () => {
          calls++
          if (calls >= 2 && calls <= 4) throw new Error(`snapshot ${calls} failed`)
          return String(calls)
        },
      })
    })
    ;({ server } = await serveOnLoopback(app))
    const address = server.address() as { port: number }
    const events = await statusEvents(`http://127.0.0.1:${address.port}/events`, 3)
    expect(events).toEqual(['1', '5', '6'])
    expect(errors).toHaveLength(1)
    streams.closeAll()
  })
})
