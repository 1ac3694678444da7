import type { Config } from 'jest'

// One Jest run over every workspace. Workspace packages resolve to their sources, so tests
// never depend on a stale build; the child-process tests (runner restarts, demo) use the
// build that `yarn test` makes first.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/bench'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/build/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@proxy-mediator/portable-wallet$': '<rootDir>/packages/portable-wallet/src',
    '^@proxy-mediator/proxy-mediator$': '<rootDir>/packages/proxy-mediator/src',
    '^@proxy-mediator/topology$': '<rootDir>/packages/topology/src',
    '^@proxy-mediator/acapy-like-peer$': '<rootDir>/packages/acapy-like-peer/src',
  },
  testTimeout: 120_000,
  maxWorkers: 2,
}

export default config
