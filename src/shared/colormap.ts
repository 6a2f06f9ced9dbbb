/**
 * Value-to-colour mapping for heatmaps, shared by the command line's PNG and
 * the panel's canvas so both draw a map the same way. Pure: no DOM, no Node.
 */
import { interpolateCividis, interpolateInferno, interpolateMagma, interpolateViridis } from 'd3-scale-chromatic';

export type ColorScale = 'linear' | 'log';
export type ColorMapName = 'viridis' | 'magma' | 'cividis' | 'inferno';
/** The colour maps the panel offers (perceptual, readable in print; cividis also for colour-vision deficiency). */
export const COLOR_MAPS: readonly ColorMapName[] = ['viridis', 'magma', 'cividis'];

const INTERPOLATORS: Record<ColorMapName, (t: number) => string> = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  cividis: interpolateCividis,
  inferno: interpolateInferno,
};

function parseColor(c: string): [number, number, number] {
  if (c.startsWith('#')) return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
  // d3's cividis answers rgb(r, g, b)
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

const tables = new Map<ColorMapName, Uint8Array>();

/** 256 RGB entries of a perceptual colour map (cached; do not write into it). */
export function colorTable(name: ColorMapName = 'viridis'): Uint8Array {
  let lut = tables.get(name);
  if (lut) return lut;
  const interpolate = INTERPOLATORS[name] ?? interpolateViridis;
  lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = parseColor(interpolate(i / 255));
    lut[i * 3] = r;
    lut[i * 3 + 1] = g;
    lut[i * 3 + 2] = b;
  }
  tables.set(name, lut);
  return lut;
}

/** Decades shown below the peak on a log scale. */
export const LOG_DECADES = 6;

/**
 * Position of a value in [0, 1] on the colour bar: linear in value / peak, or
 * logarithmic over LOG_DECADES decades below the peak (anything smaller is the
 * bottom colour).
 */
export function colorPosition(value: number, peak: number, scale: ColorScale): number {
  if (!(peak > 0) || !(value > 0)) return 0;
  const r = value / peak;
  if (scale === 'linear') return Math.min(1, r);
  return Math.max(0, Math.min(1, 1 + Math.log10(r) / LOG_DECADES));
}
