import { PNG } from 'pngjs';
import { colorPosition, colorTable, type ColorScale } from '../shared/colormap';

export interface HeatmapImageOptions {
  scale: ColorScale;
  /** smallest length of the longer side; small maps are enlarged by whole pixels */
  minSide?: number;
}

/**
 * Encodes a map as a PNG heatmap (pngjs does the encoding). 2-D maps become an
 * image, 1-D maps a profile (filled curve), 3-D maps their middle slice.
 */
export function heatmapPng(values: Float64Array, shape: number[], options: HeatmapImageOptions): Buffer {
  const lut = colorTable('viridis');
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  const color = (v: number): [number, number, number] => {
    const k = Math.round(colorPosition(v, peak, options.scale) * 255) * 3;
    return [lut[k]!, lut[k + 1]!, lut[k + 2]!];
  };
  const minSide = options.minSide ?? 256;
  if (shape.length === 1) {
    const n = shape[0]!;
    const zoom = Math.max(1, Math.ceil(minSide / n));
    const width = n * zoom;
    const height = 160;
    const png = new PNG({ width, height });
    png.data.fill(255);
    for (let x = 0; x < width; x++) {
      const v = values[Math.floor(x / zoom)]!;
      const top = height - 1 - Math.round(colorPosition(v, peak, options.scale) * (height - 1));
      const [r, g, b] = color(v);
      for (let y = top; y < height; y++) {
        const i = (y * width + x) * 4;
        png.data[i] = r;
        png.data[i + 1] = g;
        png.data[i + 2] = b;
        png.data[i + 3] = 255;
      }
    }
    return PNG.sync.write(png);
  }
  const [h, w] = shape.length === 3 ? [shape[1]!, shape[2]!] : [shape[0]!, shape[1]!];
  const offset = shape.length === 3 ? Math.floor((shape[0]! - 1) / 2) * h * w : 0;
  const zoom = Math.max(1, Math.ceil(minSide / Math.max(h, w)));
  const png = new PNG({ width: w * zoom, height: h * zoom });
  for (let y = 0; y < h * zoom; y++) {
    for (let x = 0; x < w * zoom; x++) {
      const [r, g, b] = color(values[offset + Math.floor(y / zoom) * w + Math.floor(x / zoom)]!);
      const i = (y * w * zoom + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
