/**
 * The colours labels are shown in, everywhere (editor overlay, queue thumbnails): lesion cyan,
 * uncertain amber, background transparent. Opaque; each view applies its own opacity.
 */
export const LABEL_RGB = {
  lesion: [0, 200, 255] as const,
  uncertain: [255, 170, 0] as const,
}
