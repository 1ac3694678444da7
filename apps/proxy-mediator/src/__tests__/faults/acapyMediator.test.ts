import { AcapyLikeMediator } from '@proxy-mediator/acapy-like-peer'
import { waitFor } from '@proxy-mediator/topology'
import { useAcapyRunnerTopology } from './support/acapyRunnerTopology'
import { STARTUP_TIMEOUT_MS, report } from './support/processTopology'

// The real runner, as a process that can be SIGKILLed, with ACA-Py as its external mediator (an
// `AcapyLikeMediator`, written from ACA-Py's source with no Credo code) and an ACA-Py-like agent
// and sender. ACA-Py forgets a message once it wrote it to the proxy's websocket, so a kill can
// lose what it wrote just before: the proxy must lose nothing else.
const TOTAL = 300
const KILL_AFTER = 100

describe('fault: ACA-Py as the external mediator, against the real runner', () => {
  const useTopology = useAcapyRunnerTopology()

  it(`kill -9 mid-stream: of ${TOTAL} messages, only some ACA-Py wrote to the dying socket can be lost`, async () => {
    const { runner: topology, mediator, agent, sender, route } = useTopology()
    const contents = Array.from({ length: TOTAL }, (_, index) => `acapy-kill9-${index}`)
    const tagOf = new Map<string, string>()
    const sending = sender.sendConcurrently(route, contents, {
      concurrency: 4,
      // The envelope the mediator forwards (the layer for the proxy's key) names the message in its records.
      onLayers: (content, layers) => tagOf.set(content, layers[layers.length - 2].tag),
    })
    const unique = () => new Set(agent.basicMessages()).size
    await waitFor(unique, KILL_AFTER, 120_000, 'messages at the agent before the kill')
    const killed = topology.proxy
    killed.signal('SIGKILL')
    expect(await killed.exited()).toEqual({ code: null, signal: 'SIGKILL' })
    const deliveredAtKill = unique()
    // What ACA-Py had written to a socket by the time the proxy was back: the window it forgets.
    const restarted = topology.startProxy()
    await restarted
    const writtenBeforeRestart = new Set(
      [...mediator.forwards.values()].filter((record) => record.writtenTo.length > 0).map((record) => record.tag),
    )
    await topology.waitForProxyStatus('ready', STARTUP_TIMEOUT_MS)
    await sending

    // Settled: the mediator holds nothing, and the proxy has nothing in its outbox or in flight.
    const settleDeadline = Date.now() + 120_000
    for (;;) {
      const status = await topology.status()
      const counters = status.counters as unknown as { outbox: number; inFlight: number }
      if (mediator.queuedMessages === 0 && counters.outbox === 0 && counters.inFlight === 0) break
      if (Date.now() > settleDeadline) throw new Error(`never settled: ${JSON.stringify(counters)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const received = new Set(agent.basicMessages())
    const lost = contents.filter((content) => !received.has(content))
    const outsideTheWindow = lost.filter((content) => !writtenBeforeRestart.has(String(tagOf.get(content))))
    expect(outsideTheWindow).toEqual([])
    expect(lost.length).toBeLessThan(TOTAL - deliveredAtKill)
    report('ACA-Py mediator, kill -9 mid-stream', {
      sent: TOTAL,
      deliveredBeforeKill: deliveredAtKill,
      delivered: received.size,
      lostInAcaPysWindow: lost.length,
      duplicates: agent.basicMessages().length - received.size,
    })
  }, 420_000)

  it("a refused set-up answers 502 at once, with the mediator's reason in the detail and the log", async () => {
    const { runner: topology } = useTopology()
    const denying = await AcapyLikeMediator.start({ openMediation: false })
    try {
      const refused = await topology.proxy.postJson<{ error: string; detail: string }>('/mediators', {
        invitation_url: denying.createInvitationUrl(['didexchange/1.1']),
        primary: false,
      })
      expect(refused.status).toBe(502)
      expect(refused.body).toEqual({
        error: 'mediator_unreachable',
        detail: 'The external mediator did not grant mediation: The external mediator denied mediation (mediate-deny).',
      })
      expect(topology.proxy.logLines.some((line) => line.includes('denied mediation (mediate-deny)'))).toBe(true)
    } finally {
      await denying.stop()
    }
  }, 120_000)
})
