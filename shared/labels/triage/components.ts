/** Connected components on a small grid (8-connected), with area, bounding box and frame contact. */

export interface Component {
  area: number
  x0: number
  y0: number
  x1: number
  y1: number
  /** Cells on the grid's outer frame. */
  borderCells: number
  /** Sum of x and y, for the centroid. */
  sx: number
  sy: number
}

/**
 * Labels the 8-connected components of cells where `inside[i] !== 0`. Returns the component index
 * per cell (-1 outside) and the components, largest first (ties: first found first).
 */
export function components(
  width: number,
  height: number,
  inside: Uint8Array,
): { id: Int32Array; list: Component[] } {
  const n = width * height
  const id = new Int32Array(n).fill(-1)
  const raw: Component[] = []
  const stack = new Int32Array(n)
  for (let start = 0; start < n; start++) {
    if (inside[start] === 0 || id[start] >= 0) continue
    const k = raw.length
    const c: Component = { area: 0, x0: width, y0: height, x1: -1, y1: -1, borderCells: 0, sx: 0, sy: 0 }
    let top = 0
    stack[top++] = start
    id[start] = k
    while (top > 0) {
      const i = stack[--top]
      const y = (i / width) | 0
      const x = i - y * width
      c.area++
      c.sx += x
      c.sy += y
      if (x < c.x0) c.x0 = x
      if (x > c.x1) c.x1 = x
      if (y < c.y0) c.y0 = y
      if (y > c.y1) c.y1 = y
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) c.borderCells++
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= height) continue
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          if (xx < 0 || xx >= width) continue
          const j = yy * width + xx
          if (inside[j] !== 0 && id[j] < 0) {
            id[j] = k
            stack[top++] = j
          }
        }
      }
    }
    raw.push(c)
  }
  const order = raw.map((_, k) => k).sort((a, b) => raw[b].area - raw[a].area || a - b)
  const rank = new Int32Array(raw.length)
  order.forEach((k, r) => (rank[k] = r))
  for (let i = 0; i < n; i++) if (id[i] >= 0) id[i] = rank[id[i]]
  return { id, list: order.map((k) => raw[k]) }
}
