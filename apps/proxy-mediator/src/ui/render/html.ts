/** Markup that is already safe: built by `html` (its values escaped) or trusted generated markup. */
export class SafeHtml {
  public constructor(public readonly markup: string) {}

  public toString(): string {
    return this.markup
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character])
}

/**
 * A template tag for HTML: every interpolated value is escaped unless it is `SafeHtml`, so
 * what an agent or a mediator chose (labels, endpoints, errors) can never become markup.
 * Arrays are joined; `undefined`, `null` and `false` render as nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let markup = strings[0]
  values.forEach((value, index) => {
    markup += render(value) + strings[index + 1]
  })
  return new SafeHtml(markup)
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.markup
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(String(value))
}
