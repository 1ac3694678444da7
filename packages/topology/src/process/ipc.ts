/**
 * The messages between an orchestrator (the demo, the fault suite) and its role processes: a
 * request with an id, and a reply with the same id. Roles also send one `ready` message when
 * started.
 */
export interface RoleRequest {
  id: number
  command: string
  args?: unknown
}

export type RoleReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }

export interface RoleReady {
  ready: true
  endpoint?: string
}

export type RoleMessage = RoleReply | RoleReady

/** The environment variables an orchestrator passes to a role process. */
export const RoleEnv = {
  /** Port of the role's HTTP (and WS) endpoint. */
  port: 'ROLE_PORT',
  /** The base URL the role advertises, e.g. http://mediator:3001 in a compose network. */
  endpoint: 'ROLE_ENDPOINT',
  /** Port of the role's HTTP control API (POST /<command>), for an orchestrator in another container. */
  controlPort: 'ROLE_CONTROL_PORT',
  /** Directory of the role's wallet; omit for an in-memory wallet. */
  storage: 'ROLE_STORAGE',
  /** External mediator only: JSON file of its message queue, so that the queue survives a restart. */
  queueFile: 'ROLE_QUEUE_FILE',
  /** External mediator only: visibility timeout of unacknowledged messages, in milliseconds. */
  visibilityTimeoutMs: 'ROLE_VISIBILITY_TIMEOUT_MS',
  /** Paths of a PEM certificate and key: the role serves HTTPS (and WSS) and advertises them. */
  tlsCert: 'ROLE_TLS_CERT',
  tlsKey: 'ROLE_TLS_KEY',
  /**
   * Edge agent only: its messages go out through this HTTP CONNECT proxy, but to the hosts NO_PROXY
   * names, as the proxy's own do (an agent behind the same firewall).
   */
  egressProxy: 'ROLE_EGRESS_PROXY',
} as const
