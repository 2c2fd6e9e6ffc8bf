import { reactive } from 'vue'
import { api } from './api'

/** Object URLs kept for thumbnails; the oldest are revoked beyond this. */
const MAX_URLS = 600

/** id → object URL of its thumbnail; reactive so rows show them as they arrive. */
export const thumbnailUrls = reactive(new Map<string, string>())
const pending = new Set<string>()

/** Fetches the thumbnail of a pair once (a few at a time from the visible rows). */
export async function requestThumbnail(id: string): Promise<void> {
  if (thumbnailUrls.has(id) || pending.has(id)) return
  pending.add(id)
  try {
    const r = await api.call('pair:thumbnail', { id })
    if (!r.ok) return
    const url = URL.createObjectURL(
      new Blob([r.value.bytes as Uint8Array<ArrayBuffer>], { type: r.value.mime }),
    )
    thumbnailUrls.set(id, url)
    while (thumbnailUrls.size > MAX_URLS) {
      const [oldest, oldUrl] = thumbnailUrls.entries().next().value as [string, string]
      URL.revokeObjectURL(oldUrl)
      thumbnailUrls.delete(oldest)
    }
  } finally {
    pending.delete(id)
  }
}

/** Drops a pair's thumbnail (after its mask changed) so it is fetched afresh. */
export function invalidateThumbnail(id: string): void {
  const url = thumbnailUrls.get(id)
  if (url) URL.revokeObjectURL(url)
  thumbnailUrls.delete(id)
}
