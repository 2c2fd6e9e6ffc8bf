import { describe, expect, it } from 'vitest'
import { MaxFlow } from '../../../../../shared/labels/assist/maxflow'
import { mulberry32 } from '../../../../../electron/services/demo/prng'

interface Graph {
  n: number
  /** Per node: capacity from the source and to the sink. */
  src: number[]
  snk: number[]
  edges: [number, number, number, number][]
}

function build(gr: Graph): MaxFlow {
  const g = new MaxFlow(gr.n, gr.edges.length)
  for (let i = 0; i < gr.n; i++) if (gr.src[i] || gr.snk[i]) g.addTerminal(i, gr.src[i], gr.snk[i])
  for (const [i, j, c, r] of gr.edges) g.addEdge(i, j, c, r)
  return g
}

/** Cost of the cut where side[i] is true for nodes on the source side. */
function cutCost(gr: Graph, side: boolean[]): number {
  let cost = 0
  for (let i = 0; i < gr.n; i++) cost += side[i] ? gr.snk[i] : gr.src[i]
  for (const [i, j, c, r] of gr.edges) {
    if (side[i] && !side[j]) cost += c
    if (side[j] && !side[i]) cost += r
  }
  return cost
}

function bruteMinCut(gr: Graph): number {
  let best = Infinity
  for (let mask = 0; mask < 1 << gr.n; mask++) {
    const side = Array.from({ length: gr.n }, (_, i) => ((mask >> i) & 1) === 1)
    best = Math.min(best, cutCost(gr, side))
  }
  return best
}

function randomGraph(seed: number, n: number, density: number): Graph {
  const rng = mulberry32(seed)
  const gr: Graph = { n, src: [], snk: [], edges: [] }
  for (let i = 0; i < n; i++) {
    gr.src.push(rng() < 0.4 ? Math.floor(rng() * 10) : 0)
    gr.snk.push(rng() < 0.4 ? Math.floor(rng() * 10) : 0)
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng() < density) gr.edges.push([i, j, Math.floor(rng() * 8), Math.floor(rng() * 8)])
    }
  }
  return gr
}

describe('MaxFlow (Boykov–Kolmogorov)', () => {
  it('finds the textbook maximum flow of 23 and its minimum cut', () => {
    // Cormen et al.'s network: s→v1 16, s→v2 13, v1→v2 10, v2→v1 4, v1→v3 12, v3→v2 9, v2→v4 14,
    // v4→v3 7, v3→t 20, v4→t 4.
    const g = new MaxFlow(4)
    g.addTerminal(0, 16, 0)
    g.addTerminal(1, 13, 0)
    g.addTerminal(2, 0, 20)
    g.addTerminal(3, 0, 4)
    g.addEdge(0, 1, 10, 4)
    g.addEdge(0, 2, 12, 0)
    g.addEdge(2, 1, 9, 0)
    g.addEdge(1, 3, 14, 0)
    g.addEdge(3, 2, 7, 0)
    expect(g.maxflow()).toBe(23)
    // The minimum cut {s, v1, v2, v4} | {v3, t}: 12 + 7 + 4.
    expect([0, 1, 2, 3].map((i) => g.isSource(i))).toEqual([true, true, false, true])
  })

  it('counts terminal capacities on both sides of one node as flow', () => {
    const g = new MaxFlow(1)
    g.addTerminal(0, 5, 3)
    g.addTerminal(0, 1, 0)
    expect(g.maxflow()).toBe(3)
    expect(g.isSource(0)).toBe(true)
  })

  it('cuts a chain at its weakest link', () => {
    const g = new MaxFlow(5)
    g.addTerminal(0, 100, 0)
    g.addTerminal(4, 0, 100)
    const caps = [7, 3, 9, 5]
    caps.forEach((c, i) => g.addEdge(i, i + 1, c, c))
    expect(g.maxflow()).toBe(3)
    expect([0, 1, 2, 3, 4].map((i) => g.isSource(i))).toEqual([true, true, false, false, false])
  })

  it('handles an empty graph and nodes without terminal links', () => {
    expect(new MaxFlow(0).maxflow()).toBe(0)
    const g = new MaxFlow(3)
    g.addEdge(0, 1, 2, 2)
    expect(g.maxflow()).toBe(0)
    expect(g.isSource(2, 'source')).toBe(true)
    expect(g.isSource(2, 'sink')).toBe(false)
  })

  it('matches a brute-force minimum cut on random graphs, and its labelling attains it', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const n = 2 + (seed % 9)
      const gr = randomGraph(seed, n, 0.2 + (seed % 5) * 0.15)
      const g = build(gr)
      const flow = g.maxflow()
      const best = bruteMinCut(gr)
      expect(flow, `seed ${seed}`).toBe(best)
      const side = Array.from({ length: n }, (_, i) => g.isSource(i))
      expect(cutCost(gr, side), `seed ${seed}`).toBe(best)
    }
  })

  it('matches a brute-force minimum cut on a small grid with fractional capacities', () => {
    const rng = mulberry32(77)
    const W = 4
    const H = 3
    const gr: Graph = { n: W * H, src: [], snk: [], edges: [] }
    for (let i = 0; i < W * H; i++) {
      const d = rng() * 4 - 2
      gr.src.push(d > 0 ? d : 0)
      gr.snk.push(d < 0 ? -d : 0)
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const w = rng() * 1.5
        if (x + 1 < W) gr.edges.push([y * W + x, y * W + x + 1, w, w])
        if (y + 1 < H) gr.edges.push([y * W + x, (y + 1) * W + x, w * 0.8, w * 0.8])
      }
    }
    const g = build(gr)
    const flow = g.maxflow()
    const best = bruteMinCut(gr)
    expect(flow).toBeCloseTo(best, 9)
    const side = Array.from({ length: gr.n }, (_, i) => g.isSource(i))
    expect(cutCost(gr, side)).toBeCloseTo(best, 9)
  })

  it('grows its arc storage past the hint', () => {
    const n = 200
    const g = new MaxFlow(n, 1)
    g.addTerminal(0, 50, 0)
    g.addTerminal(n - 1, 0, 50)
    for (let i = 0; i + 1 < n; i++) g.addEdge(i, i + 1, 2 + (i % 3), 0)
    expect(g.maxflow()).toBe(2)
  })
})
