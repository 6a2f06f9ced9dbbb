/**
 * Value-to-colour mapping for heatmaps, shared by the command line's PNG and
 * the panel's canvas so both draw a map the same way. Pure: no DOM, no Node.
 */
import { interpolateInferno, interpolateViridis } from 'd3-scale-chromatic';

export type ColorScale = 'linear' | 'log';
export type ColorMapName = 'viridis' | 'inferno';

/** 256 RGB entries of a perceptual colour map. */
export function colorTable(name: ColorMapName = 'viridis'): Uint8Array {
  const interpolate = name === 'inferno' ? interpolateInferno : interpolateViridis;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const hex = interpolate(i / 255);
    lut[i * 3] = parseInt(hex.slice(1, 3), 16);
    lut[i * 3 + 1] = parseInt(hex.slice(3, 5), 16);
    lut[i * 3 + 2] = parseInt(hex.slice(5, 7), 16);
  }
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
