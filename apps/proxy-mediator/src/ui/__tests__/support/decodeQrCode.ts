import jsQR from 'jsqr'
import { PNG } from 'pngjs'

/** The text a QR code in a PNG screenshot holds, as a phone's scanner would read it. */
export function decodeQrCode(png: Uint8Array): string {
  const image = PNG.sync.read(Buffer.from(png))
  const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)
  if (!code) throw new Error(`no QR code could be read in the ${image.width}x${image.height} screenshot`)
  return code.data
}
