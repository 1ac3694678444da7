import { describeRelayFailure } from '../describeRelayFailure'

const endpoint = 'http://agent.internal:8020/didcomm'
const errno = (code: string, message = `${code} message`) => Object.assign(new Error(message), { code })

describe('describeRelayFailure', () => {
  it.each([
    [{ status: 503 }, 'HTTP 503 from http://agent.internal:8020/didcomm'],
    [
      errno('ECONNREFUSED'),
      'connection refused by http://agent.internal:8020: is the agent running and listening there?',
    ],
    [
      errno('ENOTFOUND'),
      "agent.internal does not resolve: check the endpoint in the agent's DID document (http://agent.internal:8020/didcomm)",
    ],
    [errno('ECONNRESET'), 'http://agent.internal:8020 closed the connection before answering'],
    [
      errno('ETIMEDOUT', 'no answer from http://agent.internal:8020 within 10 s'),
      'timeout: no answer from http://agent.internal:8020 within 10 s',
    ],
    [
      errno('EHOSTUNREACH'),
      'agent.internal is unreachable from the proxy: check the network and firewalls between them',
    ],
    [
      errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      'TLS with http://agent.internal:8020 failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE): unable to verify the first certificate',
    ],
    [new Error('something else'), 'something else (http://agent.internal:8020/didcomm)'],
  ])('says %p in words', (failure, words) => {
    expect(describeRelayFailure(endpoint, failure)).toBe(words)
  })
})
