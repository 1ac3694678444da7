export * from './ProxyMediatorStateRecord'
export * from './ProxyMediatorStateRepository'
export * from './OutboxRecord'
export * from './OutboxRepository'
