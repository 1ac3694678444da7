import type { FileSystem } from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'

type NodeFileSystemClass = new (options?: { baseDataPath?: string; baseCachePath?: string }) => FileSystem

/**
 * A FileSystem class whose data and cache paths are under the storage directory, so that all
 * the state of the proxy (the Askar database included) lives where the user said, not in ~/.afj.
 * Credo instantiates the class itself with no arguments, hence the class factory.
 */
export function storageDirFileSystem(storageDir: string): new () => FileSystem {
  const NodeFileSystem = agentDependencies.FileSystem as unknown as NodeFileSystemClass
  return class StorageDirFileSystem extends NodeFileSystem {
    public constructor() {
      super({ baseDataPath: storageDir, baseCachePath: `${storageDir}/cache` })
    }
  }
}
