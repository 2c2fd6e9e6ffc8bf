import { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RecentWorkspaces } from '../../../../../electron/services/workspace/recentWorkspaces'

let dir: string

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-recent-'))
})

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true })
})

it('keeps the most recent first, without duplicates, at most max, preserving other settings', async () => {
  const file = path.join(dir, 'user-data', 'settings.json')
  const recent = new RecentWorkspaces(file, 3)
  expect(await recent.list()).toEqual([])
  await Promise.all([recent.add('/w/a'), recent.add('/w/b')])
  await recent.add('/w/c')
  await recent.add('/w/a')
  expect(await recent.list()).toEqual(['/w/a', '/w/c', '/w/b'])
  await recent.add('/w/d')
  expect(await recent.list()).toEqual(['/w/d', '/w/a', '/w/c'])
  await recent.remove('/w/a')
  expect(await new RecentWorkspaces(file, 3).list()).toEqual(['/w/d', '/w/c'])

  const doc = JSON.parse(await fsp.readFile(file, 'utf8'))
  doc.theme = 'dark'
  await fsp.writeFile(file, JSON.stringify(doc))
  await recent.add('/w/e')
  expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toEqual({
    recentWorkspaces: ['/w/e', '/w/d', '/w/c'],
    theme: 'dark',
  })
})

it('starts afresh from a damaged file and ignores entries that are not absolute paths', async () => {
  const file = path.join(dir, 'bad.json')
  await fsp.writeFile(file, '{ not json')
  expect(await new RecentWorkspaces(file).list()).toEqual([])
  await fsp.writeFile(file, JSON.stringify({ recentWorkspaces: ['relative', 42, '/abs', '/abs'] }))
  expect(await new RecentWorkspaces(file).list()).toEqual(['/abs'])
})
