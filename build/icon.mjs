// `node build/icon.mjs`: renders media/icon.svg (the source, not shipped) to media/icon.png, the
// 256×256 icon package.json names. Run it after editing the SVG and commit both files.
import { Resvg } from '@resvg/resvg-js';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const svgPath = path.join(root, 'media', 'icon.svg');
const pngPath = path.join(root, 'media', 'icon.png');
const size = 256;

const png = new Resvg(fs.readFileSync(svgPath, 'utf8'), {
  fitTo: { mode: 'width', value: size },
  // the icon draws no text: system fonts would only make the output depend on the machine
  font: { loadSystemFonts: false },
})
  .render()
  .asPng();
fs.writeFileSync(pngPath, png);
console.log(`[icon] ${path.relative(root, pngPath)} (${size}×${size}, ${png.length} bytes)`);
