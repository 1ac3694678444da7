import { KeylistUpdateAction } from '@credo-ts/core'
import { ProxyMediatorEventTypes } from '../../../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig, type RelayMode } from '../../../ProxyMediatorModuleConfig'
import { PROXY_ROUTING_KEY } from '../../../__tests__/support/proxyState'
import { testAgentContext } from '../../../__tests__/support/testAgentContext'
import { MediatorChangeRefusedError } from '../../../errors/MediatorChangeRefusedError'
import { MediatorNotFoundError } from '../../../errors/MediatorNotFoundError'
import { MediatorUnreachableError } from '../../../errors/MediatorUnreachableError'
import { SetupInProgressError } from '../../../errors/SetupInProgressError'
import { verkeyToDidKey } from '../../../utils/keys'
import { StorageHealth } from '../../relay/StorageHealth'
import { ReceivedMediatorInvitations } from '../ReceivedMediatorInvitations'
import { UpstreamFailover } from '../UpstreamFailover'
import { UpstreamMediatorFactory } from '../UpstreamMediatorFactory'
import { UpstreamMediatorSet } from '../UpstreamMediatorSet'
import { UpstreamMediators } from '../UpstreamMediators'
import { FakeExternalMediators, type MediatorName, grantOf, invitationOf } from './support/FakeExternalMediators'

const FAILOVER_AFTER_MS = 30_000
const AGENT_KEY = '7Z8ftDAzMvoyXnGEJye8DurzgQQXLAbYCaeeesM7UKHa'
const OLD_AGENT_KEY = '7d3y2WdzxE7CfsWjkGy3WndkvZcj1EHMkzKJiFPiDecH'
const HOUR_MS = 3_600_000

const made: UpstreamMediators[] = []

/**
 * The one place that knows how `UpstreamMediators` is made. The tests drive it through its public
 * methods alone, and the external mediators through the seams it uses, so that a change of its
 * construction changes only this function. A second one over the same `world` is a restart.
 *
 * What the proxy tells of its upstream side (the grant route, the state and why, failovers) is
 * `UpstreamFailover`'s, and which connections are mediators `UpstreamMediatorSet`'s: both real, and
 * read here through one object, as the tests knew them before the set was split up.
 */
function makeUpstreamMediators(
  world: FakeExternalMediators,
  options: { relayMode?: RelayMode; primaryFailoverAfterMs?: number } = {},
) {
  const config = new ProxyMediatorModuleConfig({
    relayMode: options.relayMode,
    primaryFailoverAfterMs: options.primaryFailoverAfterMs ?? FAILOVER_AFTER_MS,
    // A session's own timers never decide a test: readiness changes only through the seams.
    reconnectBaseDelayMs: HOUR_MS,
    reconnectMaxDelayMs: HOUR_MS,
    redeliveryCheckIntervalMs: HOUR_MS,
    pickupPingIntervalMs: HOUR_MS,
    pollingIntervalMs: HOUR_MS,
  })
  const storage = new StorageHealth(config)
  const seams = world.seams
  const mediators = new UpstreamMediatorSet()
  const state = world.proxyState.service()
  world.serve({ mediators, state })
  const failover = new UpstreamFailover(config, world.eventEmitter, mediators, storage)
  const set = new UpstreamMediators(
    config,
    state,
    seams.recipient,
    new ReceivedMediatorInvitations(seams.connectionService, seams.mediationRepository, seams.outOfBandRepository),
    seams.directory,
    mediators,
    failover,
    new UpstreamMediatorFactory(
      config,
      seams.messagePickupApi,
      seams.connectionService,
      seams.messageSender,
      seams.channel,
      seams.mediationRepository,
      seams.recipient,
      seams.pipeline,
    ),
    storage,
    seams.channel,
  )
  made.push(set)
  const upstream = {
    start: set.start.bind(set),
    stop: set.stop.bind(set),
    add: set.add.bind(set),
    promote: set.promote.bind(set),
    drain: set.drain.bind(set),
    remove: set.remove.bind(set),
    list: set.list.bind(set),
    primaryStatus: set.primaryStatus.bind(set),
    mirrorAgentKeys: set.mirrorAgentKeys.bind(set),
    grantRoute: () => failover.grantRoute(),
    get currentState() {
      return failover.state
    },
    get stateReason() {
      return failover.reason
    },
    primaryFailedOver: () => failover.primaryFailedOver(),
    get failovers() {
      return failover.failovers
    },
    pickupModeOf: (connectionId: string) => mediators.get(connectionId)?.pickupMode,
    isMediatorConnection: (connectionId: string) => mediators.get(connectionId) !== undefined,
  }
  return { upstream, storage }
}

type ProxyUpstream = ReturnType<typeof makeUpstreamMediators>['upstream']

/**
 * The proxy's set of external mediators: roles, failover, the refusals to remove, the
 * deduplication of `add`, one change at a time, and the keys it registers upstream. The external
 * mediators are fakes behind the seams the class uses (`FakeExternalMediators`); the pickup
 * sessions, the state service and the storage health are real.
 */
describe('UpstreamMediators', () => {
  const { agentContext, logger } = testAgentContext()
  let world: FakeExternalMediators
  let upstream: ProxyUpstream
  let storage: StorageHealth

  beforeEach(() => {
    world = new FakeExternalMediators()
    ;({ upstream, storage } = makeUpstreamMediators(world))
  })
  afterEach(async () => {
    for (const each of made.splice(0)) await each.stop()
    world.close()
  })

  const addMediator = async (name: MediatorName, primary = false) =>
    (await upstream.add(agentContext, invitationOf(name), primary)).mediatorId
  /** The mediators as the status lists them, by name: the primary first. */
  const roles = (of = upstream) =>
    of
      .list()
      .map(({ id, role, namedInGrants }) => `${world.name(id)}: ${role}${namedInGrants ? ', named in grants' : ''}`)
  const refused = async (change: Promise<unknown>, reason: string) => {
    await expect(change).rejects.toBeInstanceOf(MediatorChangeRefusedError)
    await expect(change).rejects.toThrow(reason)
  }

  describe('roles', () => {
    it('makes the first mediator primary, even when not asked to, and a later one standby unless asked', async () => {
      expect(upstream.currentState).toBe('init')
      expect(await upstream.add(agentContext, invitationOf('a'), false)).toMatchObject({
        result: 'added',
        role: 'primary',
        detail: 'Added as primary: picked up from, and named in every new grant.',
      })
      expect(await upstream.add(agentContext, invitationOf('b'), false)).toMatchObject({
        result: 'added',
        role: 'standby',
        previousPrimaryId: undefined,
      })
      expect(roles()).toEqual(['a: primary, named in grants', 'b: standby'])
      expect(upstream.grantRoute()).toEqual(grantOf('a'))
      expect(upstream.currentState).toBe('ready')
    })

    it('makes a later mediator primary when asked: the old primary drains, still picked up from, named in no grant', async () => {
      const a = await addMediator('a')
      const change = await upstream.add(agentContext, invitationOf('b'), true)
      expect(change).toMatchObject({ result: 'added', role: 'primary', previousPrimaryId: a })
      expect(roles()).toEqual(['b: primary, named in grants', 'a: draining'])
      expect(upstream.list().map((mediator) => mediator.state)).toEqual(['ready', 'ready'])
      expect(upstream.grantRoute()).toEqual(grantOf('b'))
    })

    it('promotes a mediator: the previous primary drains; promoting the primary changes nothing', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      expect(await upstream.promote(agentContext, b)).toMatchObject({
        result: 'promoted',
        mediatorId: b,
        role: 'primary',
        previousPrimaryId: a,
      })
      expect(roles()).toEqual(['b: primary, named in grants', 'a: draining'])
      expect(upstream.grantRoute()).toEqual(grantOf('b'))
      expect(await upstream.promote(agentContext, b)).toMatchObject({ result: 'unchanged', role: 'primary' })
      expect(roles()).toEqual(['b: primary, named in grants', 'a: draining'])
    })

    it('refuses to drain the primary, and drains a standby: picked up from, named in no grant', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      await refused(upstream.drain(agentContext, a), `${a} is the primary: promote another mediator first`)
      expect(await upstream.drain(agentContext, b)).toMatchObject({ result: 'draining', role: 'draining' })
      expect(roles()).toEqual(['a: primary, named in grants', 'b: draining'])
      expect(upstream.list()[1].state).toBe('ready')
    })

    it('names the mediators it has when asked about one it does not have', async () => {
      const a = await addMediator('a')
      // One after the other: at once, all but the first would be refused as a change in progress.
      for (const change of [
        () => upstream.promote(agentContext, 'nobody'),
        () => upstream.drain(agentContext, 'nobody'),
        () => upstream.remove(agentContext, 'nobody', true),
      ]) {
        await expect(change()).rejects.toBeInstanceOf(MediatorNotFoundError)
        await expect(change()).rejects.toThrow(`The proxy has no external mediator nobody; its mediators are: ${a}.`)
      }
    })

    it('keeps the mediators and their roles across a restart: start resumes pickup from each', async () => {
      await addMediator('a')
      await addMediator('b')
      await addMediator('c', true)
      await upstream.stop()

      const restarted = makeUpstreamMediators(world).upstream
      expect(restarted.currentState).toBe('init')
      await restarted.start(agentContext)
      expect(roles(restarted)).toEqual(['c: primary, named in grants', 'b: standby', 'a: draining'])
      expect(restarted.list().map((mediator) => mediator.state)).toEqual(['ready', 'ready', 'ready'])
      expect(restarted.grantRoute()).toEqual(grantOf('c'))
      expect(world.setups).toBe(3)
    })

    it('picks up again from the same mediators when started again after a stop', async () => {
      const a = await addMediator('a')
      await upstream.stop()
      expect(upstream.currentState).toBe('setup')
      expect(world.pickingUp(a)).toBe(false)
      await upstream.start(agentContext)
      expect(upstream.currentState).toBe('ready')
      expect(world.pickingUp(a)).toBe(true)
      expect(upstream.list()).toHaveLength(1)
    })
  })

  describe('adding a mediator it already has', () => {
    it('changes nothing for the same invitation twice, and connects no second time', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      expect(await upstream.add(agentContext, invitationOf('b'), true)).toEqual({
        result: 'unchanged',
        mediatorId: b,
        role: 'standby',
        detail: 'The proxy is already set up with this external mediator; nothing was changed.',
      })
      expect(await upstream.add(agentContext, invitationOf('a'), true)).toMatchObject({
        result: 'unchanged',
        mediatorId: a,
      })
      expect(world.setups).toBe(2)
      expect(world.connections.all).toHaveLength(2)
      expect(roles()).toEqual(['a: primary, named in grants', 'b: standby'])
    })

    it('changes nothing for another invitation of the same mediator, known by the route its grant names', async () => {
      const a = await addMediator('a')
      expect(await upstream.add(agentContext, invitationOf('a', 2), true)).toMatchObject({
        result: 'unchanged',
        mediatorId: a,
        role: 'primary',
      })
      expect(upstream.list()).toHaveLength(1)
      // The proxy's key was registered once, when the mediator was added.
      expect(world.keylistUpdates.map(({ mediator }) => mediator)).toEqual(['a'])
    })

    it('connects afresh with an invitation used before by a mediator since removed, forgetting that attempt', async () => {
      const first = await addMediator('a')
      await upstream.remove(agentContext, first, false)
      const again = await upstream.add(agentContext, invitationOf('a'), true)
      expect(again).toMatchObject({ result: 'added', role: 'primary' })
      expect(again.mediatorId).not.toBe(first)
      expect(world.connections.all.map((connection) => connection.id)).toEqual([again.mediatorId])
      expect(world.mediations.all.map((mediation) => mediation.connectionId)).toEqual([again.mediatorId])
      expect(world.receivedInvitations.all).toHaveLength(1)
    })
  })

  describe('failover', () => {
    beforeEach(() => jest.useFakeTimers())
    afterEach(() => jest.useRealTimers())

    /** Each UpstreamChanged event, as the state and the mediator new grants name at that moment. */
    const publications = () => {
      const seen: string[] = []
      world.eventEmitter.on(ProxyMediatorEventTypes.UpstreamChanged, () => {
        const holder = upstream.list().find((mediator) => mediator.namedInGrants)
        seen.push(`${upstream.currentState} via ${holder ? world.name(holder.id) : 'none'}`)
      })
      return seen
    }

    it('names a ready standby once the primary has been down past primaryFailoverAfterMs, counts and publishes it, and names the primary again when it is back', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      const published = publications()

      world.socketOf(a, 'closed')
      expect(upstream.currentState).toBe('setup')
      expect(upstream.grantRoute()).toBeUndefined()
      jest.advanceTimersByTime(FAILOVER_AFTER_MS / 2)
      expect(upstream.grantRoute()).toBeUndefined()
      expect(upstream.failovers).toBe(0)
      expect(upstream.primaryFailedOver()).toBeUndefined()

      jest.advanceTimersByTime(FAILOVER_AFTER_MS)
      expect(upstream.grantRoute()).toEqual(grantOf('b'))
      expect(upstream.currentState).toBe('ready')
      expect(upstream.failovers).toBe(1)
      expect(upstream.primaryFailedOver()).toEqual({ id: a, holderId: b, downSince: expect.any(Number) })
      expect(upstream.stateReason).toBe(`Failed over: the primary ${a} is not picked up from, so new grants name ${b}.`)
      expect(roles()).toEqual(['a: primary', 'b: standby, named in grants'])

      world.socketOf(a, 'open')
      expect(upstream.grantRoute()).toEqual(grantOf('a'))
      expect(upstream.primaryFailedOver()).toBeUndefined()
      expect(upstream.failovers).toBe(1)
      expect(published).toEqual(['setup via a', 'ready via b', 'ready via a'])
    })

    it('prefers a standby to a draining mediator, and names none while no other is picked up from', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      const c = await addMediator('c', true)
      expect(roles()).toEqual(['c: primary, named in grants', 'b: standby', 'a: draining'])

      world.socketOf(c, 'closed')
      jest.advanceTimersByTime(FAILOVER_AFTER_MS * 2)
      expect(upstream.grantRoute()).toEqual(grantOf('b'))
      world.socketOf(b, 'closed')
      expect(upstream.grantRoute()).toEqual(grantOf('a'))
      expect(upstream.failovers).toBe(2)
      world.socketOf(a, 'closed')
      expect(upstream.grantRoute()).toBeUndefined()
      expect(upstream.currentState).toBe('setup')
      expect(upstream.primaryFailedOver()).toBeUndefined()
    })

    it('does not fail over while failover is off (0)', async () => {
      ;({ upstream } = makeUpstreamMediators(world, { primaryFailoverAfterMs: 0 }))
      const a = await addMediator('a')
      await addMediator('b')
      world.socketOf(a, 'closed')
      jest.advanceTimersByTime(FAILOVER_AFTER_MS * 10)
      expect(upstream.grantRoute()).toBeUndefined()
      expect(upstream.currentState).toBe('setup')
      expect(upstream.failovers).toBe(0)
    })
  })

  describe('removing a mediator', () => {
    /** A primary `a`, and the standby `b` to remove. */
    const primaryAndStandby = async () => {
      await addMediator('a')
      return addMediator('b')
    }

    it('refuses the primary while others exist; by force, removes it and the ready standby becomes primary', async () => {
      const a = await addMediator('a')
      const b = await addMediator('b')
      await refused(
        upstream.remove(agentContext, a, false),
        `${a} is the primary: promote another mediator first, then drain and remove this one.`,
      )
      expect(roles()).toEqual(['a: primary, named in grants', 'b: standby'])

      expect(await upstream.remove(agentContext, a, true)).toMatchObject({
        result: 'removed',
        mediatorId: a,
        newPrimaryId: b,
        abandoned: undefined,
      })
      expect(roles()).toEqual(['b: primary, named in grants'])
      expect(upstream.grantRoute()).toEqual(grantOf('b'))
    })

    it('refuses one that still holds messages, saying how many, and removes it once it holds none', async () => {
      const b = await primaryAndStandby()
      world.holds(b, 3)
      await refused(
        upstream.remove(agentContext, b, false),
        `${b} still holds 3 messages for the proxy and 0 are being relayed; let it drain, or force the removal.`,
      )
      expect(upstream.list()[1]).toMatchObject({ id: b, heldMessages: 3 })

      world.holds(b, 0)
      expect(await upstream.remove(agentContext, b, false)).toMatchObject({
        result: 'removed',
        abandoned: undefined,
        detail: 'Removed; it held nothing for the proxy.',
      })
    })

    it('refuses one whose forwards are being relayed, and removes it once they settled', async () => {
      const b = await primaryAndStandby()
      world.relaying(b, 2)
      await refused(
        upstream.remove(agentContext, b, false),
        `${b} still holds 0 messages for the proxy and 2 are being relayed`,
      )
      expect(upstream.list()[1]).toMatchObject({ id: b, relaysInFlight: 2 })
      world.relaying(b, 0)
      expect(await upstream.remove(agentContext, b, false)).toMatchObject({ result: 'removed' })
    })

    it('refuses one whose pickup is not running, since it cannot be asked what it holds', async () => {
      const b = await primaryAndStandby()
      world.socketOf(b, 'closed')
      await refused(
        upstream.remove(agentContext, b, false),
        `${b} cannot be asked what it still holds (pickup is not running); wait until it is picked up from, or force the removal.`,
      )
      expect(upstream.isMediatorConnection(b)).toBe(true)
    })

    it('removes by force one that holds messages, saying what was abandoned', async () => {
      const b = await primaryAndStandby()
      world.holds(b, 3)
      world.relaying(b, 1)
      expect(await upstream.remove(agentContext, b, true)).toMatchObject({
        result: 'removed',
        abandoned: { heldMessages: 3, relaysInFlight: 1 },
        detail: 'Removed by force; what it held is abandoned.',
      })
      expect(logger.warn).toHaveBeenCalledWith(`Removed external mediator ${b} by force, abandoning what it held`, {
        heldMessages: 3,
        relaysInFlight: 1,
      })
    })

    it('stops its pickup, unregisters the proxy key there and forgets it for good', async () => {
      const b = await primaryAndStandby()
      world.keylistUpdates.length = 0
      await upstream.remove(agentContext, b, false)
      // Its socket is still open, and it is not picked up from.
      expect(world.pickingUp(b)).toBe(false)
      expect(world.keylistUpdates).toEqual([
        { mediator: 'b', changes: [{ key: PROXY_ROUTING_KEY, action: KeylistUpdateAction.remove }] },
      ])
      expect(upstream.isMediatorConnection(b)).toBe(false)
      expect(upstream.pickupModeOf(b)).toBeUndefined()
      await upstream.stop()
      const restarted = makeUpstreamMediators(world).upstream
      await restarted.start(agentContext)
      expect(roles(restarted)).toEqual(['a: primary, named in grants'])
    })

    it('removes it even when it does not take the unregistration, and says so in the log', async () => {
      const b = await primaryAndStandby()
      world.keylistSilent('b', true)
      expect(await upstream.remove(agentContext, b, false)).toMatchObject({ result: 'removed' })
      expect(logger.warn).toHaveBeenCalledWith(`Could not unregister from ${b}: b did not answer`)
    })

    it('removes the primary when it is the only mediator: no route, the state is init again', async () => {
      const a = await addMediator('a')
      expect(await upstream.remove(agentContext, a, false)).toMatchObject({
        result: 'removed',
        newPrimaryId: undefined,
      })
      expect(upstream.currentState).toBe('init')
      expect(upstream.grantRoute()).toBeUndefined()
      expect(upstream.stateReason).toBe('No external mediator is set up yet: give the proxy a mediator invitation.')
    })
  })

  describe('one change at a time', () => {
    it('refuses any change while another runs, with SetupInProgressError, and takes them again after', async () => {
      const a = await addMediator('a')
      const release = world.holdSetups()
      const adding = upstream.add(agentContext, invitationOf('b'), false)
      for (const change of [
        upstream.add(agentContext, invitationOf('c'), false),
        upstream.promote(agentContext, a),
        upstream.drain(agentContext, a),
        upstream.remove(agentContext, a, true),
      ]) {
        await expect(change).rejects.toBeInstanceOf(SetupInProgressError)
      }
      release()
      await expect(adding).resolves.toMatchObject({ result: 'added', role: 'standby' })
      await expect(upstream.add(agentContext, invitationOf('c'), false)).resolves.toMatchObject({ result: 'added' })
    })

    it('takes the next change after one that failed', async () => {
      world.cannotReach('a')
      await expect(upstream.add(agentContext, invitationOf('a'), true)).rejects.toBeInstanceOf(MediatorUnreachableError)
      await expect(upstream.add(agentContext, invitationOf('b'), true)).resolves.toMatchObject({ result: 'added' })
    })
  })

  describe('keys registered upstream', () => {
    it("registers the proxy's routing key at a mediator as it is added, and in transparent mode the agents' keys too", async () => {
      world.agentKeys = [AGENT_KEY]
      await addMediator('a')
      ;({ upstream } = makeUpstreamMediators(world, { relayMode: 'transparent' }))
      await addMediator('b')
      const add = (key: string) => ({ key, action: KeylistUpdateAction.add })
      expect(world.keylistUpdates).toEqual([
        { mediator: 'a', changes: [add(PROXY_ROUTING_KEY)] },
        { mediator: 'b', changes: [add(PROXY_ROUTING_KEY)] },
        { mediator: 'b', changes: [add(AGENT_KEY)] },
      ])
    })

    it("mirrors the agents' keylist changes to every mediator; one that did not answer gets them when picked up from again", async () => {
      ;({ upstream } = makeUpstreamMediators(world, { relayMode: 'transparent' }))
      await addMediator('a')
      const b = await addMediator('b')
      world.keylistUpdates.length = 0
      world.keylistSilent('b', true)
      await upstream.mirrorAgentKeys(agentContext, [AGENT_KEY], [OLD_AGENT_KEY])
      const changes = [
        { key: AGENT_KEY, action: KeylistUpdateAction.add },
        { key: OLD_AGENT_KEY, action: KeylistUpdateAction.remove },
      ]
      expect(world.keylistUpdates).toEqual([{ mediator: 'a', changes }])

      world.keylistSilent('b', false)
      world.socketOf(b, 'closed')
      world.socketOf(b, 'open')
      await new Promise(setImmediate)
      expect(world.keylistUpdates).toEqual([
        { mediator: 'a', changes },
        { mediator: 'b', changes },
      ])
    })
  })

  describe('when the store takes no writes', () => {
    it('pauses implicit pickup and says why; at the hold limit closes those sockets; picks up again once it takes writes', async () => {
      world.pickUpBy('a', 'implicit')
      const a = await addMediator('a')
      const b = await addMediator('b')
      storage.failed(
        agentContext,
        Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' }),
      )
      expect(upstream.currentState).toBe('setup')
      expect(upstream.stateReason).toMatch(
        /^Not picking up from the primary external mediator: the proxy's store takes no writes since \S+ \(storage full: SQLITE_FULL: database or disk is full\), and what implicit pickup takes must be written first\./,
      )
      // Live pickup needs no store, and goes on.
      expect(upstream.list().map(({ id, state }) => [id, state])).toEqual([
        [a, 'setup'],
        [b, 'ready'],
      ])
      storage.overHoldLimit()
      expect(world.closedSockets).toEqual([[a, 'the proxy cannot store more messages for now']])

      storage.succeeded(agentContext)
      expect(upstream.currentState).toBe('ready')
    })
  })

  describe('what it tells', () => {
    it('tells a mediator connection from any other, and how each mediator is picked up from', async () => {
      world.pickUpBy('b', 'poll-v2')
      const a = await addMediator('a')
      const b = await addMediator('b')
      expect(upstream.pickupModeOf(a)).toBe('live')
      expect(upstream.pickupModeOf(b)).toBe('poll-v2')
      expect(upstream.pickupModeOf('an agent connection')).toBeUndefined()
      expect(upstream.isMediatorConnection(b)).toBe(true)
      expect(upstream.isMediatorConnection('an agent connection')).toBe(false)
    })

    it("describes the primary as earlier versions' upstream did: its grant in did:key, the proxy's key, its socket", async () => {
      expect(upstream.primaryStatus()).toEqual({ routingKeys: [], socketState: 'none', reconnects: 0 })
      const a = await addMediator('a')
      await addMediator('b')
      expect(upstream.primaryStatus()).toEqual({
        mediatorConnectionId: a,
        endpoint: grantOf('a').endpoint,
        routingKeys: grantOf('a').routingKeys.map(verkeyToDidKey),
        proxyRoutingKey: verkeyToDidKey(PROXY_ROUTING_KEY),
        pickupMode: 'live',
        socketState: 'open',
        reconnects: 0,
      })
    })

    it("says why it is not ready in words: the primary's socket, and what pickup does about it", async () => {
      const a = await addMediator('a')
      expect(upstream.stateReason).toBe('Picking up from the primary external mediator (live).')
      world.socketOf(a, 'closed')
      expect(upstream.stateReason).toMatch(
        /^Not picking up from the primary external mediator \(socket closed\); reconnecting in \d+ s \(attempt 1\)\.$/,
      )
    })
  })
})
