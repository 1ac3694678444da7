/**
 * What the admin routes and the page take as the id of a record (a mediator, an agent's connection,
 * a dead letter): Credo makes them UUIDs; anything else is refused before it reaches the module.
 */
export const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
