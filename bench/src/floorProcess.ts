import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { sleep } from './clock'

export interface FloorProcess {
  pid: number
  stop(): Promise<void>
}

/**
 * Starts a floor (`pickupFloorProcess`, `implicitFloorProcess`) in its own process, as the runner
 * runs in its own, and hands it its config over IPC: the config holds secret keys, which do not
 * belong on a command line. Resolves once the floor says it is ready; `stop` disconnects it, which
 * it takes as the end.
 */
export async function startFloorProcess(
  script: 'pickupFloorProcess.js' | 'implicitFloorProcess.js',
  config: object,
  cpuProfileDir?: string,
): Promise<FloorProcess> {
  const child: ChildProcess = fork(join(__dirname, script), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
  })
  child.send(config)
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    child.once('message', (report: { type: string; reason?: string }) =>
      report.type === 'ready' ? resolve() : reject(new Error(`${script} failed: ${report.reason}`)),
    )
  })
  child.removeAllListeners('exit')
  return {
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.disconnect()
      await Promise.race([gone, sleep(5_000)])
      if (child.exitCode === null) child.kill()
    },
  }
}
