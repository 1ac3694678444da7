/**
 * The messages between the demo orchestrator and its role processes: a request with an id,
 * and a reply with the same id. Roles also send one `ready` message when started.
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
