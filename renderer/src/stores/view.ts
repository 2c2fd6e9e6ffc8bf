import { defineStore } from 'pinia'

/** How the overlay is shown; no pixels here. */
export const useViewStore = defineStore('view', {
  state: () => ({
    opacity: 0.5,
    overlayVisible: true,
  }),
  actions: {
    setOpacity(value: number) {
      this.opacity = Math.min(1, Math.max(0, value))
    },
    toggleOverlay() {
      this.overlayVisible = !this.overlayVisible
    },
  },
})
