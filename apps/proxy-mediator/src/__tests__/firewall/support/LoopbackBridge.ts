import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'

/** Pipes each connection on a Unix socket to a TCP port on the loopback of the namespace it runs in. */
const FORWARDER = `
const net = require('node:net')
const [socketPath, port] = process.argv.slice(1)
net.createServer((client) => {
  const upstream = net.connect(Number(port), '127.0.0.1')
  client.pipe(upstream).pipe(client)
  const end = () => { client.destroy(); upstream.destroy() }
  client.on('error', end)
  upstream.on('error', end)
}).listen(socketPath)
`

export interface BridgedResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * The operator at the proxy's own console: a listener on the namespace's loopback (the admin
 * listener) is out of reach of this process, which runs outside; a Unix socket is not bound to a
 * network namespace, so a small forwarder inside carries the bytes (TLS included, end to end).
 */
export class LoopbackBridge {
  private constructor(
    private readonly child: ChildProcess,
    private readonly socketPath: string,
    private readonly port: number,
    private readonly ca: string,
  ) {}

  public static async start(launcher: string[], socketPath: string, port: number, ca: string): Promise<LoopbackBridge> {
    const [command, ...prefix] = launcher
    const child = spawn(command, [...prefix, process.execPath, '-e', FORWARDER, socketPath, String(port)], {
      stdio: 'ignore',
    })
    for (let attempt = 0; attempt < 200 && !existsSync(socketPath); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    if (!existsSync(socketPath)) throw new Error('the loopback bridge did not start')
    return new LoopbackBridge(child, socketPath, port, ca)
  }

  /** An HTTPS request to https://127.0.0.1:<port><path> inside the namespace, verified with the test CA. */
  public request(
    method: string,
    path: string,
    options: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<BridgedResponse> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        {
          socketPath: this.socketPath,
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.ca,
          headers: options.headers,
        },
        (response) => {
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk) => {
            body += chunk
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
        },
      )
      request.on('error', reject)
      request.end(options.body)
    })
  }

  public async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, apiKey?: string) {
    const response = await this.request(method, path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(apiKey ? { 'x-api-key': apiKey } : {}),
      },
    })
    return { status: response.status, body: JSON.parse(response.body) as T }
  }

  public stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}
