import QRCode from 'qrcode'
import { SafeHtml } from './render/html'

/** The last invitation drawn: the agent invitation is stable (multi-use), so it is drawn once. */
let cached: { url: string; svg: SafeHtml } | undefined

/**
 * The invitation as an SVG QR code, drawn on the server so the page needs no script for it.
 * The markup is the library's, made of paths only (the URL is not in it as text), so it is
 * trusted as safe markup.
 */
export async function invitationQrCode(url: string): Promise<SafeHtml> {
  if (cached?.url === url) return cached.svg
  const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 })
  // A name for screen readers; the text next to it has the URL itself.
  const named = svg.replace('<svg ', '<svg role="img" aria-label="QR code of the agent invitation" class="qr-code" ')
  cached = { url, svg: new SafeHtml(named) }
  return cached.svg
}
