import { ASSET_PATHS } from '../operatorPageAssets'
import { type SafeHtml, html } from './html'

/**
 * The document around every page: one stylesheet and one deferred script, both served by the
 * runner. A page with nothing live (the API reference) leaves the script out.
 */
export function renderPageLayout(title: string, body: SafeHtml, { script = true } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${ASSET_PATHS.style}">
${script ? html`<script src="${ASSET_PATHS.script}" defer></script>` : ''}
</head>
<body>
${body}
</body>
</html>
`.markup
}

export interface Notice {
  kind: 'error' | 'success'
  text: string
}

/** An error is announced at once (role alert), a success politely (role status). */
export function renderNotice(notice: Notice | undefined): SafeHtml {
  if (!notice) return html``
  return notice.kind === 'error'
    ? html`<div class="notice notice-error" role="alert" data-testid="notice-error"><strong>Refused:</strong> ${notice.text}</div>`
    : html`<div class="notice notice-success" role="status" data-testid="notice-success">${notice.text}</div>`
}
