/**
 * Code the editor benchmarks run inside the page (page.evaluate / addInitScript), as JavaScript
 * source: the Node type-check has no DOM types, and these must not depend on the app's modules.
 */

/**
 * Frame and input instrumentation, installed as `window.__wsmBench`:
 * - frames: [t, raf, end] per frame while running. t is the requestAnimationFrame timestamp (the
 *   frame's vsync time); raf is when the probe's rAF callback ran (the first one of the frame: it
 *   was requested a frame earlier than the app's); end is when a message posted from that callback
 *   is received, i.e. after the whole rendering update (every rAF callback — fabric draws in its
 *   own — then style, layout, paint). end − raf is the rendering work of the frame; the input
 *   handlers dispatched before it are in `events`. Successive t differences are the frame
 *   intervals (16.7 ms at 60 Hz when no frame is dropped).
 * - events: [start, end, buttons] per pointermove: from a capture listener on window (first to
 *   run) to a bubbling listener on window (last to run): the cost of every pointermove handler.
 * - longTasks: durations of main-thread tasks over 50 ms (PerformanceObserver 'longtask').
 */
export const INSTALL_FRAME_PROBE = `(() => {
  if (window.__wsmBench) return
  const b = { frames: [], events: [], longTasks: [], running: false }
  window.__wsmBench = b
  const starts = []
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    const s = starts.shift()
    if (s !== undefined) b.frames.push([s[0], s[1], performance.now()])
  }
  const loop = (t) => {
    if (!b.running) return
    starts.push([t, performance.now()])
    channel.port2.postMessage(0)
    requestAnimationFrame(loop)
  }
  b.start = () => {
    b.frames = []
    b.events = []
    b.longTasks = []
    starts.length = 0
    b.running = true
    requestAnimationFrame(loop)
  }
  b.stop = () => {
    b.running = false
    return { frames: b.frames, events: b.events, longTasks: b.longTasks }
  }
  let eventStart = -1
  window.addEventListener('pointermove', () => { eventStart = performance.now() }, true)
  window.addEventListener('pointermove', (e) => {
    if (b.running && eventStart >= 0) b.events.push([eventStart, performance.now(), e.buttons])
    eventStart = -1
  })
  try {
    new PerformanceObserver((list) => {
      if (b.running) for (const e of list.getEntries()) b.longTasks.push(e.duration)
    }).observe({ type: 'longtask' })
  } catch {}
})()`

/**
 * Navigation probe, installed as `window.__wsmNav`: keydown timestamps of ArrowRight (capture
 * phase; event.timeStamp is when the browser received the key), and when `editor-canvas` got each
 * data-shown value (a MutationObserver callback: the attribute is set in the rAF after the pair's
 * first drawn frame, i.e. at the frame that presents it), and when the app called fetch for a
 * foreground (not priority 'low') \`pair:open\` — to tell the request of a step from a read-ahead's.
 */
export const INSTALL_NAV_PROBE = `(() => {
  if (window.__wsmNav) return
  const n = { key: -1, shown: {}, waiting: {}, opens: [] }
  window.__wsmNav = n
  const original = window.fetch
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url.includes('pair%3Aopen') && !(init && init.priority === 'low')) n.opens.push(performance.now())
    return original.call(this, input, init)
  }
  window.addEventListener('keydown', (e) => { if (e.key === 'ArrowRight') n.key = e.timeStamp }, true)
  const el = document.querySelector('[data-testid="editor-canvas"]')
  new MutationObserver(() => {
    const id = el.getAttribute('data-shown')
    if (id && n.shown[id] === undefined) {
      n.shown[id] = performance.now()
      n.waiting[id]?.()
    }
  }).observe(el, { attributes: true, attributeFilter: ['data-shown'] })
  // A promise for the moment the id is shown (at once if it was).
  n.waitFor = (id) =>
    n.shown[id] !== undefined ? Promise.resolve() : new Promise((resolve) => { n.waiting[id] = resolve })
})()`

/**
 * Init script for the cold runs: the app's background requests — `pair:prefetch` (the main
 * process reads the neighbours into its cache) and the read-ahead's `pair:open` (the renderer
 * opens, decodes and prepares the next pair), both sent at fetch priority 'low' — get an empty
 * answer without reaching the server (the app drops a read-ahead whose answer does not decode), so
 * every pair is read, decoded and drawn on demand, as when the curator moves faster than the
 * read-ahead.
 */
export const SUPPRESS_PREFETCH = `(() => {
  const original = window.fetch
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const background = init && init.priority === 'low'
    if (url.includes('pair%3Aprefetch') || url.includes('pair:prefetch') || background) {
      window.__wsmSuppressed = (window.__wsmSuppressed || 0) + 1
      return Promise.resolve(new Response(new Uint8Array(0), { status: 200 }))
    }
    return original.call(this, input, init)
  }
})()`

/**
 * The floor of "next → visible", in the page, for one pair: fetch `pair:open` (same route, token
 * and wire body as the app), read the whole body, take the image bytes out of the wire body,
 * createImageBitmap them with the app's options, then wait two animation frames (the frame that
 * would draw, and the one that presents it: what data-shown adds after the draw). No drawing, no
 * label map work. Argument: { body: number[] (wire-encoded args), token }; returns the phases (ms).
 */
export const FLOOR_OPEN = `async ({ body, token }) => {
  const t0 = performance.now()
  const res = await fetch(new URL('api/pair%3Aopen', document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/x-wsm-wire', 'x-wsm-token': token },
    body: new Uint8Array(body),
  })
  const bytes = new Uint8Array(await res.arrayBuffer())
  const t1 = performance.now()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(4, true)
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)))
  if (!header.ok) throw new Error('pair:open failed: ' + JSON.stringify(header.error))
  const blobStart = Math.ceil((8 + headerLength) / 8) * 8
  const [offset, length] = header.value.image.bytes.$bin
  const image = bytes.subarray(blobStart + offset, blobStart + offset + length)
  const bitmap = await createImageBitmap(new Blob([image], { type: header.value.image.mime }), {
    imageOrientation: 'none',
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  })
  const t2 = performance.now()
  bitmap.close()
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
  const t3 = performance.now()
  const e = performance.getEntriesByType('resource').filter((e) => e.name.includes('pair%3Aopen') && e.startTime >= t0).pop()
  return {
    fetch: t1 - t0,
    server: e ? e.responseStart - e.startTime : NaN,
    transfer: e ? e.responseEnd - e.responseStart : NaN,
    decode: t2 - t1,
    frames: t3 - t2,
    total: t3 - t0,
    bytes: bytes.byteLength,
  }
}`
