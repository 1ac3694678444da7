import qrcode from 'qrcode-terminal'
import type { RunnerConfig } from '../config/RunnerConfig'

export interface BannerOptions {
  config: RunnerConfig
  invitationUrl: string
  status: string
  isTty: boolean
  write?: (text: string) => void
}

/**
 * The start-up banner: where the proxy listens and the invitation for the agent, with a QR code
 * when a person is looking (a TTY). Off a TTY the log line carries the same facts instead.
 */
export function printBanner({
  config,
  invitationUrl,
  status,
  isTty,
  write = (t) => process.stdout.write(t),
}: BannerOptions): void {
  if (!isTty) return
  const scheme = config.tls ? 'HTTPS + WSS' : 'HTTP + WebSocket'
  const lines = [
    '',
    `  ${config.label}`,
    `  listening on   ${config.host}:${config.port} (${scheme}, DIDComm${config.admin.sharedWithDidcomm ? ' and admin routes' : ''})`,
    ...(config.admin.sharedWithDidcomm
      ? []
      : [`  admin routes   ${config.admin.host}:${config.admin.port} (the operator's page, /metrics)`]),
    `  endpoint       ${config.endpoint}`,
    `  status         ${status}${status === 'init' ? '  (POST an external mediator invitation to /mediator-invitation)' : ''}`,
    '  agent invitation (GET /invitation):',
    `  ${invitationUrl}`,
    '',
  ]
  write(`${lines.join('\n')}\n`)
  qrcode.generate(invitationUrl, { small: true }, (qr) => write(`${qr}\n`))
}
