import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

/**
 * Debian's tinyproxy as the company's egress proxy: HTTP CONNECT on `listen:port`, for clients from
 * `allow` only, with basic authentication, logging each request (`CONNECT host:port`).
 */
export class Tinyproxy {
  private constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string,
    public readonly url: string,
  ) {}

  public static async start(options: {
    dir: string
    listen: string
    port: number
    allow: string
    user: string
    password: string
  }): Promise<Tinyproxy> {
    const logFile = join(options.dir, 'tinyproxy.log')
    const configFile = join(options.dir, 'tinyproxy.conf')
    writeFileSync(
      configFile,
      [
        `Port ${options.port}`,
        `Listen ${options.listen}`,
        'Timeout 120',
        `LogFile "${logFile}"`,
        'LogLevel Connect',
        'MaxClients 100',
        `Allow ${options.allow}`,
        `BasicAuth ${options.user} ${options.password}`,
        'DisableViaHeader Yes',
        '',
      ].join('\n'),
    )
    // -d: in the foreground, so that it is this test's child and ends with it.
    const child = spawn('tinyproxy', ['-d', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    const url = `http://${options.user}:${options.password}@${options.listen}:${options.port}`
    const proxy = new Tinyproxy(child, logFile, url)
    for (let attempt = 0; attempt < 100; attempt++) {
      if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}`)
      if (await accepts(options.listen, options.port)) return proxy
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    proxy.stop()
    throw new Error(`tinyproxy did not listen on ${options.listen}:${options.port}`)
  }

  /** The `host:port` of every CONNECT request it logged, in order. */
  public connects(): string[] {
    if (!existsSync(this.logFile)) return []
    return [...readFileSync(this.logFile, 'utf8').matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map(
      (match) => match[1],
    )
  }

  public log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''
  }

  public stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
