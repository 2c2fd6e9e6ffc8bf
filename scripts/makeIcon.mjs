// Draws the app icon (build/icon.png, 1024×1024) from an SVG: a dermoscope circle with a lesion,
// its uncertain band and lesion core in the overlay colours. Run once; the PNG is committed.
import sharp from 'sharp'

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">
  <rect width="1024" height="1024" rx="200" fill="#1e1f22"/>
  <circle cx="512" cy="512" r="400" fill="#d9a18c"/>
  <path d="M512 220 C 690 230 780 380 770 520 C 760 680 640 800 500 790 C 350 780 250 660 250 510 C 250 350 360 215 512 220 Z"
        fill="#ffaa00"/>
  <path d="M512 300 C 650 310 700 420 690 520 C 680 640 600 720 500 710 C 390 700 330 610 330 510 C 330 390 400 295 512 300 Z"
        fill="#00c8ff"/>
  <circle cx="512" cy="512" r="400" fill="none" stroke="#111214" stroke-width="40"/>
</svg>`

await sharp(Buffer.from(svg)).png({ compressionLevel: 9, palette: true }).toFile('build/icon.png')
console.log('wrote build/icon.png')
