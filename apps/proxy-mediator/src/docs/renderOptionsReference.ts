import { envVarName, runnerOptions } from '../config/runnerOptions'

export const OPTIONS_START_MARKER =
  '<!-- options:start (generated from src/config/runnerOptions.ts by `yarn workspace @proxy-mediator/runner docs:config`) -->'
export const OPTIONS_END_MARKER = '<!-- options:end -->'

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** The options tables of CONFIG.md, one per group, rendered from the yargs option definitions. */
export function renderOptionsReference(): string {
  const groups = [...new Set(runnerOptions.map((option) => option.group))]
  const sections = groups.map((group) => {
    const rows = runnerOptions
      .filter((option) => option.group === group)
      .map((option) => {
        const shownDefault = option.defaultDescription ?? (option.default === undefined ? '' : String(option.default))
        const type = option.choices ? option.choices.map((choice) => `\`${choice}\``).join(' \\| ') : option.type
        const fileKey = option.notInConfigFile ? '—' : `\`${option.name}\``
        return `| \`--${option.name}\` | \`${envVarName(option.name)}\` | ${fileKey} | ${type} | ${cell(shownDefault)} | ${cell(option.description)} |`
      })
    return [
      `### ${group}`,
      '',
      '| Flag | Environment variable | Config file key | Type | Default | Description |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n')
  })
  return [OPTIONS_START_MARKER, '', sections.join('\n\n'), '', OPTIONS_END_MARKER].join('\n')
}

/** Replaces the generated part of a document (between the markers) with a fresh rendering. */
export function replaceOptionsReference(document: string): string {
  const start = document.indexOf(OPTIONS_START_MARKER.slice(0, 22))
  const end = document.indexOf(OPTIONS_END_MARKER)
  if (start === -1 || end === -1) throw new Error('CONFIG.md lacks the options:start / options:end markers')
  return `${document.slice(0, start)}${renderOptionsReference()}${document.slice(end + OPTIONS_END_MARKER.length)}`
}
