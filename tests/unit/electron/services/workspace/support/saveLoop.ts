/**
 * The child of the crash test: opens a workspace and saves masks (and sets statuses) in an endless
 * loop, printing `open <notices as JSON>` once open and `saved <id> <sha256>` after each save returns. The test kills
 * it with SIGKILL at random moments. argv: <workspace> <seed>.
 */
import type { Label } from '../../../../../../shared/labels/codes'
import type { PairStatus } from '../../../../../../shared/workspace/review'
import { Workspace } from '../../../../../../electron/services/workspace/workspace'

const [dir, seedArg] = process.argv.slice(2)
let seed = Number(seedArg) >>> 0
/** mulberry32 */
function rand(): number {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const ws = await Workspace.open(dir, { curator: `child-${seedArg}` })
process.stdout.write(`open ${JSON.stringify(ws.notices)}\n`)
const ids = Array.from({ length: ws.dataset.size }, (_, i) => ws.dataset.idAt(i))
const labels: Label[] = [0, 1, 255]
const statuses: PairStatus[] = ['accepted', 'rejected', 'flagged', 'skipped', 'unreviewed']
for (;;) {
  const id = ids[Math.floor(rand() * ids.length)]
  if (rand() < 0.2) {
    await ws.setStatus(id, statuses[Math.floor(rand() * statuses.length)])
    continue
  }
  const { map } = await ws.readCurrentMask(id)
  const data = map.data.slice()
  // Paint a random rectangle with a random label.
  const w = 1 + Math.floor(rand() * map.width)
  const h = 1 + Math.floor(rand() * map.height)
  const x0 = Math.floor(rand() * (map.width - w + 1))
  const y0 = Math.floor(rand() * (map.height - h + 1))
  const v = labels[Math.floor(rand() * 3)]
  for (let y = y0; y < y0 + h; y++) data.fill(v, y * map.width + x0, y * map.width + x0 + w)
  const saved = await ws.saveMask(id, { width: map.width, height: map.height, data })
  process.stdout.write(`saved ${id} ${saved.sha256}\n`)
}
