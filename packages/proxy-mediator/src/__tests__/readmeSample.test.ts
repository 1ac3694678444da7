import { join } from 'node:path'
import ts from 'typescript'
import { readmeSample } from '../../../../packaging/readmeSamples'

const repoRoot = join(__dirname, '..', '..', '..', '..')

describe('README module sample', () => {
  it('type-checks against the real packages', () => {
    const configPath = join(repoRoot, 'tsconfig.json')
    const { config } = ts.readConfigFile(configPath, ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot)
    // A virtual file inside the repository, so that module resolution sees the workspace.
    const samplePath = join(repoRoot, 'packages', 'proxy-mediator', 'src', '__readme_sample__.ts')
    const sample = readmeSample('module')
    const host = ts.createCompilerHost({ ...options, noEmit: true })
    const { getSourceFile, fileExists, readFile } = host
    host.fileExists = (file) => file === samplePath || fileExists(file)
    host.readFile = (file) => (file === samplePath ? sample : readFile(file))
    host.getSourceFile = (file, languageVersion, ...rest) =>
      file === samplePath
        ? ts.createSourceFile(file, sample, languageVersion, true)
        : getSourceFile(file, languageVersion, ...rest)
    const program = ts.createProgram([samplePath], { ...options, noEmit: true }, host)
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
    expect(diagnostics).toEqual([])
    expect(sample).toContain('...proxyMediatorModules(')
  })
})
