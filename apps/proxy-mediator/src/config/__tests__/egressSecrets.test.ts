import { egressSecrets } from '../egressSecrets'

describe('egressSecrets', () => {
  it('finds the password of the configured proxy and of the proxy variables, decoded and as written', () => {
    const env = { HTTPS_PROXY: 'http://user:p%40ss@proxy:3128', http_proxy: 'http://proxy:3128', ALL_PROXY: 'nonsense' }
    expect(egressSecrets('http://other:s3cret@proxy:3128', env)).toEqual(['s3cret', 'p@ss', 'p%40ss'])
    expect(egressSecrets(null, {})).toEqual([])
  })
})
