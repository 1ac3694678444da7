import type { JsonSchema, OpenApiDocument, OpenApiOperation } from '../../http/api/openApiDocument'
import { type SafeHtml, html } from './html'
import { renderPageLayout } from './renderPageLayout'

/**
 * The reference of the admin and operations routes (GET /api-docs), rendered on the server from
 * the OpenAPI document itself: no CDN, no script, the operator's page's stylesheet and CSP.
 */
export function renderApiReference(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation: operation as OpenApiOperation })),
  )
  return renderPageLayout(
    `${document.info.title}: reference`,
    html`<header class="page-header">
  <h1>${document.info.title}</h1>
  <p class="live-state">Version ${document.info.version}. The same as <a href="/openapi.json">/openapi.json</a> (OpenAPI ${document.openapi}), which a client generator reads.</p>
</header>
<main class="api-reference">
  <section class="card" aria-labelledby="api-intro-heading">
    <h2 id="api-intro-heading">Calling the routes</h2>
    <p>${document.info.description}</p>
    <p>Routes marked <span class="access access-admin">admin key</span> need the header <code>x-api-key</code> with the runner&rsquo;s <code>--admin-api-key</code> when one is set. Every refusal is a JSON <code>{"error": "...", "detail": "..."}</code>: <code>error</code> is a code to branch on, <code>detail</code> says what to do.</p>
    <nav aria-label="Sections"><ul>${document.tags.map((tag) => html`<li><a href="#${anchorOf(tag.name)}">${tag.name}</a></li>`)}</ul></nav>
  </section>
  ${document.tags.map(
    (tag) => html`<section class="card" aria-labelledby="${anchorOf(tag.name)}">
    <h2 id="${anchorOf(tag.name)}">${tag.name}</h2>
    ${operations
      .filter(({ operation }) => operation.tags.includes(tag.name))
      .map(({ path, method, operation }) => renderOperation(path, method, operation))}
  </section>`,
  )}
</main>`,
    { script: false },
  )
}

function renderOperation(path: string, method: string, operation: OpenApiOperation): SafeHtml {
  return html`<article class="api-operation" id="${operation.operationId}" data-testid="api-operation" data-method="${method}" data-path="${path}">
    <h3><span class="method method-${method}">${method.toUpperCase()}</span> <code>${path}</code> ${renderAccess(operation)}</h3>
    <p><strong>${withCode(operation.summary)}</strong></p>
    ${operation.description ? html`<p>${withCode(operation.description)}</p>` : ''}
    ${operation.parameters.length > 0 ? renderParameters(operation) : ''}
    ${operation.requestBody ? html`<h4>JSON body</h4>${renderSchema(operation.requestBody.content['application/json'].schema)}` : ''}
    <h4>Answers</h4>
    <dl class="answers">${Object.entries(operation.responses).map(
      ([status, response]) => html`<dt>${status}</dt><dd>${withCode(response.description)}</dd>`,
    )}</dl>
  </article>`
}

function renderAccess(operation: OpenApiOperation): SafeHtml {
  if (operation.security.length === 0) return html`<span class="access access-open">open</span>`
  if (operation.security.some((requirement) => Object.keys(requirement).length === 0)) {
    return html`<span class="access access-details">details need the admin key</span>`
  }
  return html`<span class="access access-admin">admin key</span>`
}

function renderParameters(operation: OpenApiOperation): SafeHtml {
  return html`<h4>Parameters</h4>
    <table class="fields stack-on-phone">
      <thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">What</th></tr></thead>
      <tbody>${operation.parameters.map(
        (parameter) => html`<tr>
          <td data-label="Name"><code>${parameter.name}</code>${parameter.required ? ' (required)' : ''}</td>
          <td data-label="In">${parameter.in}</td>
          <td data-label="Type">${typeOf(parameter.schema)}</td>
          <td data-label="What">${withCode(parameter.description ?? '')}${renderErrorCode(parameter.schema)}</td>
        </tr>`,
      )}</tbody>
    </table>`
}

/** The fields of an object schema, one row each; anything else as its type. */
function renderSchema(schema: JsonSchema): SafeHtml {
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (!properties) return html`<p>${typeOf(schema)}</p>`
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return html`<table class="fields stack-on-phone">
      <thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">What</th></tr></thead>
      <tbody>${Object.entries(properties).map(
        ([name, property]) => html`<tr>
          <td data-label="Field"><code>${name}</code>${required.has(name) ? ' (required)' : ''}</td>
          <td data-label="Type">${typeOf(property)}</td>
          <td data-label="What">${withCode(typeof property.description === 'string' ? property.description : '')}${renderErrorCode(property)}</td>
        </tr>`,
      )}</tbody>
    </table>`
}

function renderErrorCode(schema: JsonSchema): SafeHtml | string {
  const code = schema['x-error-code']
  return typeof code === 'string' ? html` <span class="error-code">Refused as <code>${code}</code>.</span>` : ''
}

/** A short type: `integer 1 to 1000`, `string matching ...`, `one of true, false`, `array of string`. */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`
  if ('const' in schema) return JSON.stringify(schema.const)
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type ?? 'any')
  if (type === 'array' && schema.items) return `array of ${typeOf(schema.items as JsonSchema)}`
  const bounds = [
    schema.minimum !== undefined ? `from ${schema.minimum}` : '',
    schema.maximum !== undefined ? `to ${schema.maximum}` : '',
    typeof schema.pattern === 'string' ? `matching ${schema.pattern}` : '',
    schema.default !== undefined ? `(default ${JSON.stringify(schema.default)})` : '',
  ].filter(Boolean)
  return [type, ...bounds].join(' ')
}

/** The descriptions' `code` in backticks, as code; every piece escaped as any text. */
function withCode(text: string): SafeHtml {
  return html`${text.split('`').map((piece, index) => (index % 2 === 1 ? html`<code>${piece}</code>` : piece))}`
}

function anchorOf(tag: string): string {
  return `section-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
}
