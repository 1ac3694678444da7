export * from './ProxyMediatorError'
export * from './InvalidInvitationError'
export * from './MediatorUnreachableError'
export * from './AlreadyConnectedError'
