/** The two lines of ACA-Py whose mediators behave differently on the wire. */
export type AcapyGeneration = '0.7-0.11' | '0.12+'

/** What the handlers need to know of the mediator they run in. */
export interface MediatorSettings {
  generation: AcapyGeneration
  /**
   * How the grant and the keylist write keys: raw base58 (ACA-Py up to 0.10) or did:key with a
   * `#fragment` (0.11 and later: `normalize_to_did_key(...).key_id` in
   * `protocols/coordinate_mediation/v1_0/manager.py`).
   */
  routingKeyForm: 'base58' | 'did:key'
  /** `--open-mediation`: grant every request. Off, an operator denies it (`POST /mediation/requests/{id}/deny`). */
  openMediation: boolean
  /** `--endpoint`: the HTTP endpoint first (the grant's), then the websocket one. */
  endpoints: string[]
  label: string
}
