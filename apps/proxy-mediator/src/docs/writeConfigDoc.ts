import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { replaceOptionsReference } from './renderOptionsReference'

/** `yarn workspace @proxy-mediator/runner docs:config`: regenerates the options tables of CONFIG.md. */
const path = join(__dirname, '..', '..', 'CONFIG.md')
writeFileSync(path, replaceOptionsReference(readFileSync(path, 'utf8')))
process.stdout.write(`Updated ${path}\n`)
