import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface IssuedCertificate {
  certFile: string
  keyFile: string
}

export interface TestCa {
  /** The CA's certificate (PEM), what a client trusts. */
  caFile: string
  /** A server certificate for these addresses and names, signed by this CA. */
  issue(name: string, subjectAltNames: string[]): IssuedCertificate
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })

/**
 * A CA made here with openssl, as a company makes its own, and the server certificates it signs
 * (P-256, valid for two days). `subjectAltNames` as openssl writes them: `IP:10.0.0.1`, `DNS:localhost`.
 */
export function makeTestCa(dir: string, name: string): TestCa {
  const caKey = join(dir, `${name}-ca.key`)
  const caFile = join(dir, `${name}-ca.pem`)
  openssl([
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${name} test CA`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ])
  let serial = 0
  return {
    caFile,
    issue(leafName, subjectAltNames) {
      serial++
      const base = join(dir, `${name}-${leafName}-${serial}`)
      const keyFile = `${base}.key`
      const certFile = `${base}.pem`
      const extensions = `${base}.ext`
      writeFileSync(
        extensions,
        `subjectAltName=${subjectAltNames.join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
      )
      openssl([
        ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', keyFile, '-out', `${base}.csr`, '-subj', `/CN=${leafName}`],
      ])
      openssl([
        ...['x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(1000 + serial)],
        ...['-out', certFile, '-days', '2', '-extfile', extensions],
      ])
      return { certFile, keyFile }
    },
  }
}
