import { execFileSync, spawnSync } from 'node:child_process'

const PREFIX = 'pm-fw-'

export interface NamespaceAddresses {
  /** The address of this machine's end of the link, where the egress proxy listens. */
  host: string
  /** The namespace's own address on the link. */
  inside: string
}

const run = (command: string, args: string[]) =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8')

/**
 * A network namespace made by the test, as a firewalled network: a veth link to this machine, and
 * iptables in the namespace that let out only TCP to the egress proxy's port on the other end (and
 * the answers to connections made to it). Anything else going out is refused at once (a TCP reset),
 * so that a connection that does not use the proxy fails fast, as behind a real firewall. The
 * namespace's loopback is its own. Named after this process, so that a later run removes what a
 * killed one left.
 */
export class NetworkNamespace {
  private constructor(
    public readonly name: string,
    public readonly addresses: NamespaceAddresses,
  ) {}

  public static create(proxyPort: number): NetworkNamespace {
    NetworkNamespace.removeLeftovers()
    const id = process.pid
    const name = `${PREFIX}${id}`
    // A /30 of its own per process: 10.226.x.y, from the pid.
    const subnet = (id % 16_000) * 4
    const base = `10.226.${Math.floor(subnet / 256) % 256}.${subnet % 256}`
    const [a, b, c, d] = base.split('.').map(Number)
    const addresses = { host: `${a}.${b}.${c}.${d + 1}`, inside: `${a}.${b}.${c}.${d + 2}` }
    const hostEnd = `pmfw${id}h`
    const insideEnd = `pmfw${id}n`
    const namespace = new NetworkNamespace(name, addresses)
    try {
      run('ip', ['netns', 'add', name])
      run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', insideEnd])
      run('ip', ['link', 'set', insideEnd, 'netns', name])
      run('ip', ['addr', 'add', `${addresses.host}/30`, 'dev', hostEnd])
      run('ip', ['link', 'set', hostEnd, 'up'])
      namespace.exec(['ip', 'addr', 'add', `${addresses.inside}/30`, 'dev', insideEnd])
      namespace.exec(['ip', 'link', 'set', insideEnd, 'up'])
      namespace.exec(['ip', 'link', 'set', 'lo', 'up'])
      const iptables = (rule: string[]) => namespace.exec(['iptables', '-A', 'OUTPUT', '-o', insideEnd, ...rule])
      iptables(['-m', 'state', '--state', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'])
      iptables(['-p', 'tcp', '-d', addresses.host, '--dport', String(proxyPort), '-j', 'ACCEPT'])
      iptables(['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'])
      iptables(['-j', 'REJECT'])
    } catch (error) {
      namespace.remove()
      throw new Error(`Could not make the test's network namespace: ${(error as { stderr?: Buffer }).stderr ?? error}`)
    }
    return namespace
  }

  /** The command prefix that runs a program inside. */
  public get launcher(): string[] {
    return ['ip', 'netns', 'exec', this.name]
  }

  public exec(args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, ...args])
  }

  /** Deletes the namespace, its link and its iptables with it. */
  public remove(): void {
    spawnSync('ip', ['netns', 'delete', this.name])
  }

  private static removeLeftovers(): void {
    const listed = spawnSync('ip', ['netns', 'list']).stdout?.toString('utf8') ?? ''
    for (const line of listed.split('\n')) {
      const name = line.split(' ')[0]
      if (!name.startsWith(PREFIX)) continue
      const pid = Number(name.slice(PREFIX.length))
      let alive = false
      try {
        process.kill(pid, 0)
        alive = true
      } catch {
        alive = false
      }
      if (!alive || pid === process.pid) spawnSync('ip', ['netns', 'delete', name])
    }
  }
}
