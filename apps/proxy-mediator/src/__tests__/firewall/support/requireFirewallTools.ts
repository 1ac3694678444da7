import { spawnSync } from 'node:child_process'

/** What the firewall tests run for real, and the Debian package of each. */
const TOOLS: Array<[command: string, debianPackage: string]> = [
  ['ip', 'iproute2'],
  ['iptables', 'iptables'],
  ['tinyproxy', 'tinyproxy'],
  ['openssl', 'openssl'],
]

/**
 * Fails, saying what to install, unless this runs as root with every tool: these tests make a
 * network namespace and run a real HTTP CONNECT proxy, and a stand-in would prove nothing.
 * `yarn setup` installs them where apt can (scripts/ensure-firewall-test-tools.sh).
 */
export function requireFirewallTools(): void {
  const problems: string[] = []
  if (process.getuid?.() !== 0) problems.push('they must run as root (they make a network namespace)')
  const missing = TOOLS.filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
  if (missing.length > 0) {
    problems.push(
      `missing ${missing.map(([command]) => command).join(', ')}: apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')} (yarn setup does it as root)`,
    )
  }
  if (problems.length > 0) throw new Error(`The firewall tests cannot run: ${problems.join('; ')}.`)
}
