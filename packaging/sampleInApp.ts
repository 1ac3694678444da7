import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import type TypeScript from 'typescript'
import type { ScratchApp } from './scratchApp'

/** The two ways a CommonJS TypeScript app resolves packages: `node10` reads `main` and `types`, `node16` reads `exports`. */
const RESOLUTIONS = {
  node10: { module: 'commonjs', moduleResolution: 'node10' },
  node16: { module: 'node16', moduleResolution: 'node16' },
} as const
type Resolution = keyof typeof RESOLUTIONS

// As a Credo app has it: Credo's own dependencies ship declarations that do not check
// (@sphereon/kmp-mdoc-core, asn1js), so apps skip library checks. The packages' declarations are
// checked all the same, below.
const COMPILER_OPTIONS = {
  target: 'ES2021',
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
  rootDir: 'src',
  outDir: 'build',
}

const OWN_DECLARATIONS = `${sep}node_modules${sep}@proxy-mediator${sep}`

/**
 * Type-checks the app's `src` with the app's own TypeScript, under one resolution, and emits it
 * when asked. The errors reported are those of the app's files and of the packed packages'
 * declarations (checked as if skipLibCheck were off): a declaration that names what this Credo
 * release lacks is an error, not a silent `any`.
 */
function compileInApp(app: ScratchApp, resolution: Resolution, emit: boolean): void {
  const tsconfigPath = join(app.dir, `tsconfig.${resolution}.json`)
  const tsconfig = { compilerOptions: { ...COMPILER_OPTIONS, ...RESOLUTIONS[resolution] }, include: ['src'] }
  writeFileSync(tsconfigPath, `${JSON.stringify(tsconfig, null, 2)}\n`)
  const ts: typeof TypeScript = require(join(app.dir, 'node_modules', 'typescript'))
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    },
  )
  if (!parsed) throw new Error(`${tsconfigPath} could not be read`)
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, skipLibCheck: false, noEmit: !emit })
  const checked = program
    .getSourceFiles()
    .filter((file) => file.fileName.includes(OWN_DECLARATIONS) || !file.fileName.includes(`${sep}node_modules${sep}`))
    .filter((file) => !program.isSourceFileDefaultLibrary(file))
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
    ...(emit ? program.emit().diagnostics : []),
  ]
  if (diagnostics.length) {
    const host = {
      getCanonicalFileName: (name: string) => name,
      getCurrentDirectory: () => app.dir,
      getNewLine: () => '\n',
    }
    throw new Error(`${resolution}:\n${ts.formatDiagnostics(diagnostics, host)}`)
  }
}

/** Replaces the app's `src` with the README sample, as `readmeSample.ts`, and the given role of app/. */
function writeSources(app: ScratchApp, sample: string, role?: AppRole): void {
  const src = join(app.dir, 'src')
  rmSync(src, { recursive: true, force: true })
  mkdirSync(src, { recursive: true })
  writeFileSync(join(src, 'readmeSample.ts'), sample)
  if (role) copyFileSync(join(__dirname, 'app', `${role}.ts`), join(src, `${role}.ts`))
}

/** A README's sample as it stands, type-checked in the app under both resolutions; returns their names. */
export function typecheckSample(app: ScratchApp, sample: string): Resolution[] {
  writeSources(app, sample)
  const resolutions = Object.keys(RESOLUTIONS) as Resolution[]
  for (const resolution of resolutions) compileInApp(app, resolution, false)
  return resolutions
}

/** The entry files in app/ that run a README's sample inside a scratch app. */
export type AppRole = 'proxyRole' | 'walletRole'

/**
 * A role of app/ and the README sample it runs (`./readmeSample` to it), compiled in the app to
 * CommonJS; returns the entry file to fork.
 */
export function compileRole(app: ScratchApp, role: AppRole, sample: string): string {
  writeSources(app, sample, role)
  compileInApp(app, 'node10', true)
  return join(app.dir, 'build', `${role}.js`)
}
