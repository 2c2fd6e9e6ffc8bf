import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CodedError } from '../../../../../shared/api/errors'
import {
  readWorkspaceConfig,
  readWorkspaceSources,
  writeWorkspaceConfig,
} from '../../../../../electron/services/workspace/workspaceConfig'

let dir: string

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-config-'))
})

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return (err as CodedError).code
  }
  return 'none'
}

it('round-trips the config with absolute source paths; relative paths resolve against the folder', async () => {
  await writeWorkspaceConfig(dir, {
    format: 'wsm-curator-workspace',
    version: 1,
    sources: { masks: '/data/masks.zip', images: ['/data/a', '/data/b.zip'] },
    curator: 'ana',
  })
  expect(await readWorkspaceConfig(dir)).toMatchObject({
    version: 1,
    curator: 'ana',
    sources: { masks: '/data/masks.zip', images: ['/data/a', '/data/b.zip'] },
  })
  await fsp.writeFile(
    path.join(dir, 'workspace.json'),
    JSON.stringify({ sources: { masks: 'm.zip', images: ['../i'] } }),
  )
  expect(await readWorkspaceSources(dir)).toEqual({
    masks: path.join(dir, 'm.zip'),
    images: [path.resolve(dir, '../i')],
  })
})

it('reports missing, malformed and too-new configs with codes', async () => {
  expect(await code(readWorkspaceConfig(path.join(dir, 'nope')))).toBe('not-found')
  await fsp.writeFile(path.join(dir, 'workspace.json'), '{')
  expect(await code(readWorkspaceConfig(dir))).toBe('bad-request')
  await fsp.writeFile(path.join(dir, 'workspace.json'), JSON.stringify({ sources: { masks: 1, images: [] } }))
  expect(await code(readWorkspaceConfig(dir))).toBe('bad-request')
  await fsp.writeFile(
    path.join(dir, 'workspace.json'),
    JSON.stringify({ version: 7, sources: { masks: 'm', images: [] } }),
  )
  expect(await code(readWorkspaceConfig(dir))).toBe('workspace-version')
})
