/**
 * Max-flow / min-cut by the Boykov–Kolmogorov algorithm ("An Experimental Comparison of Min-Cut/
 * Max-Flow Algorithms for Energy Minimization in Vision", PAMI 2004): two search trees grown from
 * the terminals, augmentation along the path where they meet, adoption of the orphans. Fast on the
 * short-path graphs of image labelling. Typed arrays only; no allocation while it runs apart from
 * the orphan queue's growth.
 *
 * Usage: `new MaxFlow(nodes, edgesHint)`, `addTerminal` and `addEdge` any number of times, then
 * `maxflow()` once; `isSource(i)` tells the side of the minimum cut a node is on.
 */

/** parent[] sentinels (arc indices are ≥ 0). */
const NONE = -1
const TERMINAL = -2
const ORPHAN = -3
/** next[] sentinel: not in the active list. The last active node points to itself. */
const NOT_ACTIVE = -1
const INF_DIST = 0x3fffffff

export class MaxFlow {
  readonly nodeCount: number
  private arcCount = 0
  private flow = 0
  private solved = false

  // Nodes.
  private readonly first: Int32Array
  private readonly parent: Int32Array
  private readonly next: Int32Array
  private readonly ts: Int32Array
  private readonly dist: Int32Array
  private readonly sink: Uint8Array
  /** Residual terminal capacity: > 0 towards the source, < 0 towards the sink. */
  private readonly trCap: Float64Array

  // Arcs, created in pairs: the sister of arc a is a ^ 1.
  private head: Int32Array
  private nextArc: Int32Array
  private rCap: Float64Array

  constructor(nodeCount: number, edgeCountHint = 0) {
    if (!Number.isInteger(nodeCount) || nodeCount < 0) throw new RangeError(`bad node count ${nodeCount}`)
    this.nodeCount = nodeCount
    this.first = new Int32Array(nodeCount).fill(-1)
    this.parent = new Int32Array(nodeCount).fill(NONE)
    this.next = new Int32Array(nodeCount).fill(NOT_ACTIVE)
    this.ts = new Int32Array(nodeCount)
    this.dist = new Int32Array(nodeCount)
    this.sink = new Uint8Array(nodeCount)
    this.trCap = new Float64Array(nodeCount)
    const arcs = Math.max(16, 2 * edgeCountHint)
    this.head = new Int32Array(arcs)
    this.nextArc = new Int32Array(arcs)
    this.rCap = new Float64Array(arcs)
  }

  /**
   * Adds terminal capacities: `fromSource` (edge s→i) is paid when node i ends on the sink side,
   * `toSink` (edge i→t) when it ends on the source side. Both must be ≥ 0; repeated calls add up.
   */
  addTerminal(i: number, fromSource: number, toSink: number): void {
    const d = this.trCap[i]
    if (d > 0) fromSource += d
    else toSink -= d
    this.flow += fromSource < toSink ? fromSource : toSink
    this.trCap[i] = fromSource - toSink
  }

  /** Adds the edge i→j with capacity `cap` and j→i with capacity `revCap` (both ≥ 0, i ≠ j). */
  addEdge(i: number, j: number, cap: number, revCap: number): void {
    if (this.arcCount + 2 > this.head.length) this.grow()
    const a = this.arcCount
    this.arcCount += 2
    this.head[a] = j
    this.rCap[a] = cap
    this.nextArc[a] = this.first[i]
    this.first[i] = a
    this.head[a + 1] = i
    this.rCap[a + 1] = revCap
    this.nextArc[a + 1] = this.first[j]
    this.first[j] = a + 1
  }

  private grow(): void {
    const n = this.head.length * 2
    const head = new Int32Array(n)
    head.set(this.head)
    const nextArc = new Int32Array(n)
    nextArc.set(this.nextArc)
    const rCap = new Float64Array(n)
    rCap.set(this.rCap)
    this.head = head
    this.nextArc = nextArc
    this.rCap = rCap
  }

  /** True when node i is on the source side of the minimum cut (free nodes go to `freeSide`). */
  isSource(i: number, freeSide: 'source' | 'sink' = 'sink'): boolean {
    if (this.parent[i] === NONE) return freeSide === 'source'
    return this.sink[i] === 0
  }

  /** Computes the maximum flow (= the minimum cut's cost, including the constant from addTerminal). */
  maxflow(): number {
    if (this.solved) return this.flow
    this.solved = true
    const { first, parent, next, ts, dist, sink, trCap, head, nextArc, rCap } = this
    const n = this.nodeCount

    // Active list: FIFO through next[], the last node pointing to itself.
    let qFirst = -1
    let qLast = -1
    const setActive = (i: number): void => {
      if (next[i] !== NOT_ACTIVE) return
      if (qLast >= 0) next[qLast] = i
      else qFirst = i
      next[i] = i
      qLast = i
    }
    const nextActive = (): number => {
      while (qFirst >= 0) {
        const i = qFirst
        qFirst = next[i] === i ? -1 : next[i]
        if (qFirst < 0) qLast = -1
        next[i] = NOT_ACTIVE
        if (parent[i] !== NONE) return i
      }
      return -1
    }

    // Orphan FIFO.
    let orphans = new Int32Array(256)
    let oHead = 0
    let oTail = 0
    const addOrphan = (i: number): void => {
      parent[i] = ORPHAN
      if (oTail === orphans.length) {
        if (oHead > 0) {
          orphans.copyWithin(0, oHead, oTail)
          oTail -= oHead
          oHead = 0
        }
        if (oTail === orphans.length) {
          const bigger = new Int32Array(orphans.length * 2)
          bigger.set(orphans)
          orphans = bigger
        }
      }
      orphans[oTail++] = i
    }

    for (let i = 0; i < n; i++) {
      const c = trCap[i]
      if (c !== 0) {
        sink[i] = c < 0 ? 1 : 0
        parent[i] = TERMINAL
        ts[i] = 0
        dist[i] = 1
        setActive(i)
      }
    }

    let time = 0
    let current = -1
    for (;;) {
      let i = current
      if (i >= 0) {
        next[i] = NOT_ACTIVE
        if (parent[i] === NONE) i = -1
      }
      if (i < 0) {
        i = nextActive()
        if (i < 0) break
      }

      // Grow the tree of i until it touches the other tree.
      let meet = -1
      if (sink[i] === 0) {
        for (let a = first[i]; a >= 0; a = nextArc[a]) {
          if (rCap[a] === 0) continue
          const j = head[a]
          if (parent[j] === NONE) {
            sink[j] = 0
            parent[j] = a ^ 1
            ts[j] = ts[i]
            dist[j] = dist[i] + 1
            setActive(j)
          } else if (sink[j] !== 0) {
            meet = a
            break
          } else if (ts[j] <= ts[i] && dist[j] > dist[i]) {
            parent[j] = a ^ 1
            ts[j] = ts[i]
            dist[j] = dist[i] + 1
          }
        }
      } else {
        for (let a = first[i]; a >= 0; a = nextArc[a]) {
          if (rCap[a ^ 1] === 0) continue
          const j = head[a]
          if (parent[j] === NONE) {
            sink[j] = 1
            parent[j] = a ^ 1
            ts[j] = ts[i]
            dist[j] = dist[i] + 1
            setActive(j)
          } else if (sink[j] === 0) {
            meet = a ^ 1
            break
          } else if (ts[j] <= ts[i] && dist[j] > dist[i]) {
            parent[j] = a ^ 1
            ts[j] = ts[i]
            dist[j] = dist[i] + 1
          }
        }
      }

      time++
      if (meet < 0) {
        current = -1
        continue
      }
      // Keep i active: it may still have paths to the other tree.
      next[i] = i
      current = i

      // Augment along source → head[meet ^ 1] → meet → head[meet] → sink.
      let bottleneck = rCap[meet]
      for (let k = head[meet ^ 1]; ;) {
        const a = parent[k]
        if (a === TERMINAL) {
          if (trCap[k] < bottleneck) bottleneck = trCap[k]
          break
        }
        if (rCap[a ^ 1] < bottleneck) bottleneck = rCap[a ^ 1]
        k = head[a]
      }
      for (let k = head[meet]; ;) {
        const a = parent[k]
        if (a === TERMINAL) {
          if (-trCap[k] < bottleneck) bottleneck = -trCap[k]
          break
        }
        if (rCap[a] < bottleneck) bottleneck = rCap[a]
        k = head[a]
      }
      rCap[meet ^ 1] += bottleneck
      rCap[meet] -= bottleneck
      for (let k = head[meet ^ 1]; ;) {
        const a = parent[k]
        if (a === TERMINAL) {
          trCap[k] -= bottleneck
          if (trCap[k] === 0) addOrphan(k)
          break
        }
        rCap[a] += bottleneck
        rCap[a ^ 1] -= bottleneck
        if (rCap[a ^ 1] === 0) addOrphan(k)
        k = head[a]
      }
      for (let k = head[meet]; ;) {
        const a = parent[k]
        if (a === TERMINAL) {
          trCap[k] += bottleneck
          if (trCap[k] === 0) addOrphan(k)
          break
        }
        rCap[a ^ 1] += bottleneck
        rCap[a] -= bottleneck
        if (rCap[a] === 0) addOrphan(k)
        k = head[a]
      }
      this.flow += bottleneck

      // Adoption.
      time++
      while (oHead < oTail) {
        const k = orphans[oHead++]
        if (oHead === oTail) oHead = oTail = 0
        const kSink = sink[k]
        let best = NONE
        let bestDist = INF_DIST
        for (let a0 = first[k]; a0 >= 0; a0 = nextArc[a0]) {
          // The arc from the candidate parent j to k (source tree) or from k to j (sink tree).
          if ((kSink === 0 ? rCap[a0 ^ 1] : rCap[a0]) === 0) continue
          let j = head[a0]
          if (sink[j] !== kSink || parent[j] === NONE) continue
          // Is j's origin a terminal? Walk up, using distances stamped in this round.
          let d = 0
          for (;;) {
            if (ts[j] === time) {
              d += dist[j]
              break
            }
            const a = parent[j]
            d++
            if (a === TERMINAL) {
              ts[j] = time
              dist[j] = 1
              break
            }
            if (a === ORPHAN) {
              d = INF_DIST
              break
            }
            j = head[a]
          }
          if (d < INF_DIST) {
            if (d < bestDist) {
              best = a0
              bestDist = d
            }
            // Stamp the path so later walks stop early.
            for (j = head[a0]; ts[j] !== time; j = head[parent[j]]) {
              ts[j] = time
              dist[j] = d--
            }
          }
        }
        parent[k] = best
        if (best !== NONE) {
          ts[k] = time
          dist[k] = bestDist + 1
          continue
        }
        // No parent: k becomes free; its children become orphans, its tree neighbours active.
        for (let a0 = first[k]; a0 >= 0; a0 = nextArc[a0]) {
          const j = head[a0]
          const pj = parent[j]
          if (sink[j] !== kSink || pj === NONE) continue
          if ((kSink === 0 ? rCap[a0 ^ 1] : rCap[a0]) !== 0) setActive(j)
          if (pj !== TERMINAL && pj !== ORPHAN && head[pj] === k) addOrphan(j)
        }
      }
    }
    return this.flow
  }
}
