/**
 * A tiny RGB raster with the few drawing operations the plots need, encoded to PNG by `pngjs`.
 */
import { PNG } from 'pngjs';
import { glyph, glyphHeight, glyphWidth } from './font';

export type Color = readonly [number, number, number];

export type Align = 'left' | 'center' | 'right';

export class Raster {
  /** RGBA, row-major, opaque. */
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, color: Color): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const i = (py * this.width + px) * 4;
    this.data[i] = color[0];
    this.data[i + 1] = color[1];
    this.data[i + 2] = color[2];
    this.data[i + 3] = 255;
  }

  getPixel(x: number, y: number): Color {
    const i = (y * this.width + x) * 4;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.setPixel(px, py, color);
  }

  strokeRect(x: number, y: number, w: number, h: number, color: Color): void {
    this.line(x, y, x + w, y, color);
    this.line(x + w, y, x + w, y + h, color);
    this.line(x + w, y + h, x, y + h, color);
    this.line(x, y + h, x, y, color);
  }

  /** A straight line with a square brush of `thickness` pixels; `dash` = [on, off] lengths. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1, dash?: readonly [number, number]): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length));
    const half = Math.floor(thickness / 2);
    for (let s = 0; s <= steps; s++) {
      if (dash && s % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dy = -half; dy < thickness - half; dy++) for (let dx = -half; dx < thickness - half; dx++) this.setPixel(x + dx, y + dy, color);
    }
  }

  fillCircle(cx: number, cy: number, r: number, color: Color): void {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + r) this.setPixel(cx + dx, cy + dy, color);
  }

  /** Pixel width of `text` at `scale`. */
  static textWidth(text: string, scale: number): number {
    return text.length === 0 ? 0 : (text.length * (glyphWidth + 1) - 1) * scale;
  }

  static textHeight(scale: number): number {
    return glyphHeight * scale;
  }

  /** Draws `text` with its top edge at `y`; `align` places `x` at its left, centre or right. */
  text(x: number, y: number, text: string, color: Color, scale = 2, align: Align = 'left'): void {
    const start = Math.round(x - alignOffset(Raster.textWidth(text, scale), align));
    this.drawGlyphs(text, scale, color, (gx, gy) => [start + gx, Math.round(y) + gy]);
  }

  /** Text turned a quarter anticlockwise (reads bottom to top), centred on `y`; `x` is its left edge. */
  textVertical(x: number, y: number, text: string, color: Color, scale = 2): void {
    const bottom = Math.round(y + Raster.textWidth(text, scale) / 2);
    this.drawGlyphs(text, scale, color, (gx, gy) => [Math.round(x) + gy, bottom - gx]);
  }

  private drawGlyphs(text: string, scale: number, color: Color, place: (gx: number, gy: number) => [number, number]): void {
    let cursor = 0;
    for (const ch of text) {
      const rows = glyph(ch);
      for (let r = 0; r < glyphHeight; r++) {
        for (let c = 0; c < glyphWidth; c++) {
          if (!rows[r][c]) continue;
          for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) this.setPixel(...place(cursor + c * scale + sx, r * scale + sy), color);
        }
      }
      cursor += (glyphWidth + 1) * scale;
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png);
  }
}

function alignOffset(width: number, align: Align): number {
  return align === 'left' ? 0 : align === 'center' ? width / 2 : width;
}
