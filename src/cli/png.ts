import { PNG } from 'pngjs';
import { colorPosition, colorTable, type ColorMapName, type ColorScale } from '../shared/colormap';
import { mapToRgba, renderFigure, type HeatmapMetric } from '../shared/heatmap';

export interface HeatmapImageOptions {
  scale: ColorScale;
  /** smallest length of the longer side; small maps are enlarged by whole pixels */
  minSide?: number;
  colormap?: ColorMapName;
  /**
   * With the metric, the image is the panel's figure: a title line (model,
   * layer, metric, scale), the map and a colour bar with ticks in real units.
   * Without it, only the map's pixels.
   */
  metric?: HeatmapMetric;
  peakLog10?: number | null;
  title?: string;
  subtitle?: string;
  theme?: 'light' | 'dark';
}

/**
 * Encodes a map as a PNG heatmap (pngjs does the encoding; the pixels come
 * from src/shared/heatmap.ts, as the panel's). 2-D maps become an image, 1-D
 * maps a profile (filled curve), 3-D maps their middle slice.
 */
export function heatmapPng(values: Float64Array, shape: number[], options: HeatmapImageOptions): Buffer {
  const minSide = options.minSide ?? 256;
  let img;
  if (options.metric) {
    img = renderFigure(values, shape, {
      scale: options.scale,
      colormap: options.colormap,
      metric: options.metric,
      peakLog10: options.peakLog10 ?? null,
      title: options.title,
      subtitle: options.subtitle,
      minSide,
      theme: options.theme,
    });
  } else if (shape.length === 1) {
    img = plainProfile(values, options.scale, options.colormap, minSide);
  } else {
    const raw = mapToRgba(values, shape, { scale: options.scale, colormap: options.colormap });
    const zoom = Math.max(1, Math.ceil(minSide / Math.max(raw.width, raw.height)));
    img = zoom === 1 ? raw : enlarge(raw, zoom);
  }
  const png = new PNG({ width: img.width, height: img.height });
  png.data.set(img.data);
  return PNG.sync.write(png);
}

function enlarge(img: { width: number; height: number; data: Uint8ClampedArray }, zoom: number) {
  const width = img.width * zoom;
  const height = img.height * zoom;
  const data = new Uint8ClampedArray(width * height * 4);
  const src = new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height);
  const dst = new Uint32Array(data.buffer);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / zoom) * img.width;
    for (let x = 0; x < width; x++) dst[y * width + x] = src[sy + Math.floor(x / zoom)]!;
  }
  return { width, height, data };
}

/** A 1-D map as a filled profile, 160 pixels high, without decorations. */
function plainProfile(values: Float64Array, scale: ColorScale, colormap: ColorMapName | undefined, minSide: number) {
  const lut = colorTable(colormap ?? 'viridis');
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  const n = values.length;
  const zoom = Math.max(1, Math.ceil(minSide / n));
  const width = n * zoom;
  const height = 160;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let x = 0; x < width; x++) {
    const pos = colorPosition(values[Math.floor(x / zoom)]!, peak, scale);
    const top = height - 1 - Math.round(pos * (height - 1));
    const k = Math.round(pos * 255) * 3;
    for (let y = top; y < height; y++) data.set([lut[k]!, lut[k + 1]!, lut[k + 2]!, 255], (y * width + x) * 4);
  }
  return { width, height, data };
}
