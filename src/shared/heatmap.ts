/**
 * Pure rendering of influence maps, shared by the panel (which draws these
 * pixels on its canvas and its text with the DOM) and the command line's PNG
 * (which has no DOM, so it also gets a tiny bitmap font): map to RGBA pixels,
 * the slice of a 3-D map, the colour bar and its ticks in real units, axis
 * profiles, and the CSV and .npy exports. No DOM, no Node.
 */
import { colorPosition, colorTable, LOG_DECADES, type ColorMapName, type ColorScale } from './colormap';

export type HeatmapMetric = 'paths' | 'coverage';

/** A 2-D view of a map: rank-1 maps are one row, rank-3 maps one slice. */
export interface Plane {
  width: number;
  height: number;
  /** row-major, height * width values */
  values: Float64Array;
}

/**
 * The slice of a 3-D map shown by default, in the panel and in the PNG alike:
 * the middle one (the lower middle for an even depth).
 */
export function defaultSlice(shape: readonly number[]): number {
  return shape.length === 3 ? Math.floor((shape[0]! - 1) / 2) : 0;
}

/** Number of slices a map has (1 unless it is 3-D). */
export function sliceCount(shape: readonly number[]): number {
  return shape.length === 3 ? shape[0]! : 1;
}

/** The plane of a map that is drawn: the map itself (2-D), its only row (1-D) or one slice (3-D, default the middle). */
export function planeOf(values: Float64Array, shape: readonly number[], slice?: number): Plane {
  if (shape.length === 0) return { width: 1, height: 1, values: values.subarray(0, 1) };
  if (shape.length === 1) return { width: shape[0]!, height: 1, values };
  const h = shape[shape.length - 2]!;
  const w = shape[shape.length - 1]!;
  if (shape.length === 2) return { width: w, height: h, values };
  const depth = shape.slice(0, -2).reduce((p, n) => p * n, 1);
  const s = Math.max(0, Math.min(depth - 1, slice ?? defaultSlice(shape)));
  return { width: w, height: h, values: values.subarray(s * h * w, (s + 1) * h * w) };
}

export function peakOf(values: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > peak) peak = values[i]!;
  return peak;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel */
  data: Uint8ClampedArray;
}

export interface ColorOptions {
  scale: ColorScale;
  colormap?: ColorMapName;
  /** value drawn in the top colour (default the plane's largest value) */
  peak?: number;
}

/** 256-entry index of each value's colour (0 is the bottom colour, 255 the peak). */
function colorIndex(v: number, peak: number, scale: ColorScale): number {
  return Math.round(colorPosition(v, peak, scale) * 255);
}

/** The colour table as one opaque RGBA word per entry, in the byte order of the platform (for Uint32Array views of pixels). */
const packedTables = new Map<ColorMapName, Uint32Array>();
function packedTable(name: ColorMapName): Uint32Array {
  let packed = packedTables.get(name);
  if (packed) return packed;
  const lut = colorTable(name);
  const bytes = new Uint8Array(256 * 4);
  for (let k = 0; k < 256; k++) {
    bytes[k * 4] = lut[k * 3]!;
    bytes[k * 4 + 1] = lut[k * 3 + 1]!;
    bytes[k * 4 + 2] = lut[k * 3 + 2]!;
    bytes[k * 4 + 3] = 255;
  }
  packed = new Uint32Array(bytes.buffer);
  packedTables.set(name, packed);
  return packed;
}

/**
 * The log scale's colour index without a logarithm per pixel: logStarts[k] is
 * the smallest ratio value/peak whose colour index is k or more (the index
 * rises with the ratio), found once by stepping through neighbouring doubles
 * around the analytic boundary, so the index looked up is the one
 * colorIndex computes, to the last ratio.
 */
let logStarts: Float64Array | null = null;
function logIndexStarts(): Float64Array {
  if (logStarts) return logStarts;
  const starts = new Float64Array(257);
  const bits = new Float64Array(1);
  const word = new BigInt64Array(bits.buffer);
  // neighbouring positive doubles: their bit patterns are consecutive integers
  const step = (r: number, by: bigint) => {
    bits[0] = r;
    word[0]! += by;
    return bits[0]!;
  };
  const index = (r: number) => colorIndex(r, 1, 'log');
  starts[0] = -Infinity;
  for (let k = 1; k < 256; k++) {
    // index(r) = k from 255 * (1 + log10(r) / LOG_DECADES) = k - 0.5 on
    let r = Math.pow(10, LOG_DECADES * ((k - 0.5) / 255 - 1));
    while (index(r) >= k) r = step(r, -1n);
    while (index(r) < k) r = step(r, 1n);
    starts[k] = r;
  }
  starts[256] = Infinity;
  logStarts = starts;
  return starts;
}

/** The colour indices of a row of values on the log scale: the last pixel's interval first (maps are smooth), else a binary search. */
function logRow(values: Float64Array, from: number, count: number, peak: number, out: Uint8Array): void {
  const starts = logIndexStarts();
  let k = 0;
  for (let x = 0; x < count; x++) {
    const v = values[from + x]!;
    if (!(v > 0)) {
      out[x] = 0;
      continue;
    }
    const r = v / peak;
    if (!(r >= starts[k]! && r < starts[k + 1]!)) {
      let lo = 0;
      let hi = 256;
      // the largest k with starts[k] <= r
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= r) lo = mid;
        else hi = mid;
      }
      k = lo;
    }
    out[x] = k;
  }
}

/**
 * The plane as pixels, one pixel per value (the canvas and the PNG enlarge it
 * by whole pixels, nearest neighbour). Writes into `out` at (x0, y0) with a
 * zoom when given, so callers can compose a figure without copies.
 *
 * Per pixel one division and a table look-up (the panel redraws a 608x608
 * map on every change of colours): each value's colour index is the one
 * colorIndex gives, and whole RGBA words are written.
 */
export function planeToRgba(plane: Plane, options: ColorOptions, out?: RgbaImage, x0 = 0, y0 = 0, zoom = 1): RgbaImage {
  const lut = packedTable(options.colormap ?? 'viridis');
  const peak = options.peak ?? peakOf(plane.values);
  const img = out ?? { width: plane.width * zoom, height: plane.height * zoom, data: new Uint8ClampedArray(plane.width * zoom * plane.height * zoom * 4) };
  const { width: w, height: h, values } = plane;
  // one row of colour indices, then its words copied zoom times
  const indices = new Uint8Array(w);
  const aligned = img.data.byteOffset % 4 === 0;
  const words = aligned ? new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height) : null;
  const row = new Uint32Array(w * zoom);
  const rowBytes = new Uint8ClampedArray(row.buffer);
  const linear = options.scale === 'linear';
  for (let y = 0; y < h; y++) {
    const base = y * w;
    if (!(peak > 0)) indices.fill(0);
    else if (linear) {
      for (let x = 0; x < w; x++) {
        const v = values[base + x]!;
        // colorPosition's linear branch, inline
        indices[x] = v > 0 ? Math.round(Math.min(1, v / peak) * 255) : 0;
      }
    } else logRow(values, base, w, peak, indices);
    if (zoom === 1) {
      const start = (y0 + y) * img.width + x0;
      if (words) for (let x = 0; x < w; x++) words[start + x] = lut[indices[x]!]!;
      else {
        for (let x = 0; x < w; x++) row[x] = lut[indices[x]!]!;
        img.data.set(rowBytes, start * 4);
      }
      continue;
    }
    for (let x = 0; x < w; x++) {
      const c = lut[indices[x]!]!;
      for (let z = 0; z < zoom; z++) row[x * zoom + z] = c;
    }
    for (let z = 0; z < zoom; z++) {
      const start = (y0 + y * zoom + z) * img.width + x0;
      if (words) words.set(row, start);
      else img.data.set(rowBytes, start * 4);
    }
  }
  return img;
}

/** A whole map as pixels (3-D: the given or default slice). */
export function mapToRgba(values: Float64Array, shape: readonly number[], options: ColorOptions & { slice?: number }): RgbaImage {
  const plane = planeOf(values, shape, options.slice);
  return planeToRgba(plane, { ...options, peak: options.peak ?? peakOf(values) });
}

/** The colour at a position of the colour bar (0 bottom, 1 top). */
export function colorAt(position: number, colormap: ColorMapName = 'viridis'): [number, number, number] {
  const lut = colorTable(colormap);
  const k = Math.round(Math.max(0, Math.min(1, position)) * 255) * 3;
  return [lut[k]!, lut[k + 1]!, lut[k + 2]!];
}

/** A vertical colour bar, top = peak colour. */
export function colorbarRgba(width: number, height: number, colormap: ColorMapName = 'viridis'): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const [r, g, b] = colorAt(height > 1 ? 1 - y / (height - 1) : 1, colormap);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

export interface Tick {
  /** 0 at the bottom of the colour bar, 1 at the top */
  position: number;
  /** the real value (path count or coverage count) */
  value: number;
  /** mantissa text ('' for an exact power of ten written as 10^e, '0' for zero) */
  mantissa: string;
  /** power of ten, when the label is written as mantissa x 10^exponent */
  exponent: number | null;
  /** the whole label in plain text: "3x10^12", "10^-2", "250" */
  text: string;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

function plain(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

function tick(position: number, value: number, mantissa: string, exponent: number | null): Tick {
  const text = exponent === null ? mantissa : mantissa === '' ? `10^${exponent}` : `${mantissa}x10^${exponent}`;
  return { position, value, mantissa, exponent, text };
}

/**
 * Ticks of the colour bar in real units. Path maps travel divided by their
 * peak, so the peak's value is 10^peakLog10 paths; their ticks are powers of
 * ten (log scale) or multiples of one (linear scale: m x 10^k). Coverage maps
 * are counts: whole numbers, decades on a log scale.
 */
export function colorbarTicks(metric: HeatmapMetric, scale: ColorScale, peakLog10: number | null, count = 5): Tick[] {
  if (peakLog10 === null || !Number.isFinite(peakLog10)) return [tick(0, 0, '0', null)];
  const peak = Math.pow(10, peakLog10);
  const usePowers = metric === 'paths' && peakLog10 >= 4;
  if (scale === 'log') {
    const lo = peakLog10 - LOG_DECADES;
    const first = metric === 'coverage' ? Math.max(0, Math.ceil(lo - 1e-9)) : Math.ceil(lo - 1e-9);
    const span = Math.floor(peakLog10 + 1e-9) - first;
    const every = Math.max(1, Math.ceil((span + 1) / Math.max(2, count + 1)));
    const out: Tick[] = [];
    for (let e = Math.floor(peakLog10 + 1e-9); e >= first; e -= every) {
      const position = 1 + (e - peakLog10) / LOG_DECADES;
      if (position < -1e-9) break;
      const value = Math.pow(10, e);
      out.push(usePowers || e < 0 ? tick(position, value, '', e) : tick(position, value, plain(value), null));
    }
    return out.reverse();
  }
  // linear: multiples of a nice step; large path counts as m x 10^k with each tick's own power
  const step = niceStep(peak, count);
  const out: Tick[] = [];
  for (let i = 0; i * step <= peak * (1 + 1e-9); i++) {
    const value = i * step;
    const position = value / peak;
    if (i === 0) out.push(tick(0, 0, '0', null));
    else if (usePowers) {
      const k = Math.floor(Math.log10(value) + 1e-9);
      const ms = plain(Math.round((value / Math.pow(10, k)) * 100) / 100);
      out.push(ms === '1' ? tick(position, value, '', k) : tick(position, value, ms, k));
    } else out.push(tick(position, value, plain(value), null));
  }
  return out;
}

/** Sums of the plane along each axis and its centre lines, for the axis profiles. */
export interface AxisProfiles {
  /** per column: the sum over the rows */
  columnSums: Float64Array;
  /** per row: the sum over the columns */
  rowSums: Float64Array;
  /** the middle row (values across x) */
  centreRow: Float64Array;
  /** the middle column (values down y) */
  centreColumn: Float64Array;
}

export function axisProfiles(plane: Plane): AxisProfiles {
  const { width: w, height: h, values } = plane;
  const columnSums = new Float64Array(w);
  const rowSums = new Float64Array(h);
  for (let y = 0; y < h; y++) {
    let s = 0;
    for (let x = 0; x < w; x++) {
      const v = values[y * w + x]!;
      s += v;
      columnSums[x]! += v;
    }
    rowSums[y] = s;
  }
  const cy = Math.floor((h - 1) / 2);
  const cx = Math.floor((w - 1) / 2);
  const centreRow = values.slice(cy * w, cy * w + w);
  const centreColumn = new Float64Array(h);
  for (let y = 0; y < h; y++) centreColumn[y] = values[y * w + cx]!;
  return { columnSums, rowSums, centreRow, centreColumn };
}

/**
 * A smaller copy of a plane for thumbnails (the remedies): the mean of each
 * block, at most `maxSide` values on the longer side. Dead pixels stay
 * visible because a block with one zero is darker than its neighbours.
 */
export function downsample(plane: Plane, maxSide: number): Plane {
  const f = Math.max(1, Math.ceil(Math.max(plane.width, plane.height) / maxSide));
  if (f === 1) return plane;
  const w = Math.ceil(plane.width / f);
  const h = Math.ceil(plane.height / f);
  const out = new Float64Array(w * h);
  const counts = new Float64Array(w * h);
  for (let y = 0; y < plane.height; y++) {
    const oy = Math.floor(y / f) * w;
    for (let x = 0; x < plane.width; x++) {
      const o = oy + Math.floor(x / f);
      out[o]! += plane.values[y * plane.width + x]!;
      counts[o]! += 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i]! /= counts[i]!;
  return { width: w, height: h, values: out };
}

/** The map as CSV: one line per row (1-D: one line; 3-D: "z,y,x,value" lines). */
export function mapToCsv(values: ArrayLike<number>, shape: readonly number[]): string {
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(17).replace(/\.?0+(e|$)/, '$1'));
  const lines: string[] = [];
  if (shape.length === 3) {
    const [d, h, w] = shape as [number, number, number];
    lines.push('z,y,x,value');
    for (let z = 0; z < d; z++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) lines.push(`${z},${y},${x},${fmt(values[(z * h + y) * w + x]!)}`);
  } else {
    const w = shape[shape.length - 1] ?? 1;
    const h = shape.length === 2 ? shape[0]! : 1;
    for (let y = 0; y < h; y++) {
      const row: string[] = [];
      for (let x = 0; x < w; x++) row.push(fmt(values[y * w + x]!));
      lines.push(row.join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The map as a NumPy .npy file (format 1.0, little-endian float64, C order). */
export function mapToNpy(values: ArrayLike<number>, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${dims}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const total = 10 + header.length + values.length * 8;
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return out;
}

// ---------------------------------------------------------------- bitmap font

/** Glyphs 5 wide and 8 high (7 above the baseline, 1 descender), rows as base-32 digits of 5 bits. */
const FONT_SOURCE = "Aehhvhhh0Buhhuhhu0Cehggghe0Duhhhhhu0Evgguggv0Fvgguggg0Gehgnhhf0Hhhhvhhh0Ie44444e0J72222ic0Khikokih0Lggggggv0Mhrllhhh0Nhhpljhh0Oehhhhhe0Puhhuggg0Qehhhlid0Ruhhukih0Sfgge11u0Tv4444440Uhhhhhhe0Vhhhhha40Whhhllla0Xhha4ahh0Yhha44440Zv1248gv0a00e1fhf0bggmphhu0c00egghe0d11djhhf0e00ehvge0f698s8880g00fhhf1ehggmphhh0i40c444e0j206222ickggikoki0lc44444e0m00qllhh0n00mphhh0o00ehhhe0p00uhhuggq00djhf11r00mpggg0s00ege1u0t88s88960u00hhhjd0v00hhha40w00hhlla0x00ha4ah0y00hhhf1ez00v248v00ehjlphe014c4444e02eh1248v03v2421he0426aiv2205vgu11he0668guhhe07v12488808ehhehhe09ehhf12c0.00000cc0,0000c480:0cc0cc00;0cc0c480-000v0000+044v4400=00v0v000_000000v0/11248gg0\\gg842110(24888420)84222480[e88888e0]e22222e0^4ah00000*04lel400%op248j30#aavavaa0'44800000\"aa000000!44444040?eh124040<248g8420>84212480|44444440~008l2000@ehnlngf0&cik8lid0$4fke5u40`84000000{34484430}o44244o0";
const GLYPH_W = 5;
const GLYPH_H = 8;
const font = new Map<string, number[]>();
for (let i = 0; i < FONT_SOURCE.length; i += 9) {
  font.set(FONT_SOURCE[i]!, [...FONT_SOURCE.slice(i + 1, i + 9)].map((c) => parseInt(c, 32)));
}

/** Width in pixels of a line of text at an integer scale (one pixel column between glyphs). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_W + 1) - 1) * scale;
}
export const TEXT_HEIGHT = GLYPH_H;

/** Draws text with the built-in font; (x, y) is the top left corner. Unknown characters draw as '?'. */
export function drawText(img: RgbaImage, x: number, y: number, text: string, color: readonly number[], scale = 1): void {
  let cx = x;
  for (const ch of text) {
    const rows = ch === ' ' ? null : (font.get(ch) ?? font.get('?')!);
    if (rows) {
      for (let r = 0; r < GLYPH_H; r++) {
        const bits = rows[r]!;
        if (!bits) continue;
        for (let c = 0; c < GLYPH_W; c++) {
          if (!(bits & (1 << (GLYPH_W - 1 - c)))) continue;
          fillRect(img, cx + c * scale, y + r * scale, scale, scale, color);
        }
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
}

export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, color: readonly number[]): void {
  const x1 = Math.min(img.width, x + w);
  const y1 = Math.min(img.height, y + h);
  for (let yy = Math.max(0, y); yy < y1; yy++) {
    for (let xx = Math.max(0, x); xx < x1; xx++) {
      const i = (yy * img.width + xx) * 4;
      img.data[i] = color[0]!;
      img.data[i + 1] = color[1]!;
      img.data[i + 2] = color[2]!;
      img.data[i + 3] = color[3] ?? 255;
    }
  }
}

/** Width of a tick label as drawn: the exponent raised and one scale smaller. */
function tickWidth(t: Tick, scale: number): number {
  if (t.exponent === null) return textWidth(t.mantissa, scale);
  const small = Math.max(1, scale - 1);
  const base = t.mantissa === '' ? '10' : `${t.mantissa}x10`;
  return textWidth(base, scale) + scale + textWidth(String(t.exponent), small);
}

function drawTick(img: RgbaImage, x: number, y: number, t: Tick, color: readonly number[], scale: number): void {
  if (t.exponent === null) {
    drawText(img, x, y, t.mantissa, color, scale);
    return;
  }
  const small = Math.max(1, scale - 1);
  const base = t.mantissa === '' ? '10' : `${t.mantissa}x10`;
  drawText(img, x, y, base, color, scale);
  drawText(img, x + textWidth(base, scale) + scale, y - Math.round(3 * scale), String(t.exponent), color, small);
}

// ------------------------------------------------------------ the whole figure

export interface FigureOptions extends ColorOptions {
  metric: HeatmapMetric;
  peakLog10: number | null;
  /** first line, e.g. "yolov4.cfg  layer 159 (conv)" */
  title?: string;
  /** second line, e.g. "paths, log scale, zeros padding" */
  subtitle?: string;
  slice?: number;
  /** smallest length of the longer side of the map; small maps are enlarged by whole pixels */
  minSide?: number;
  /** light (default) or dark background */
  theme?: 'light' | 'dark';
}

/**
 * A figure that reads on its own in a report: title lines, the map enlarged
 * by whole pixels (1-D maps: a profile), a colour bar with ticks in real units.
 */
export function renderFigure(values: Float64Array, shape: readonly number[], options: FigureOptions): RgbaImage {
  const dark = options.theme === 'dark';
  const bg = dark ? [30, 30, 30, 255] : [255, 255, 255, 255];
  const fg = dark ? [230, 230, 230, 255] : [32, 32, 32, 255];
  const muted = dark ? [160, 160, 160, 255] : [96, 96, 96, 255];
  const plane = planeOf(values, shape, options.slice);
  const peak = options.peak ?? peakOf(values);
  const minSide = options.minSide ?? 256;
  const oneD = shape.length === 1;
  const zoom = Math.max(1, Math.ceil(minSide / Math.max(plane.width, oneD ? 1 : plane.height)));
  const mapW = plane.width * zoom;
  const mapH = oneD ? Math.max(120, Math.round(minSide * 0.5)) : plane.height * zoom;
  const textScale = mapW >= 480 ? 2 : 1;
  const margin = 8 * textScale + 4;
  const lineH = (TEXT_HEIGHT + 4) * textScale;
  const lines = [options.title, options.subtitle].filter((l): l is string => !!l);
  const titleH = lines.length ? lines.length * lineH + 4 * textScale : 0;
  const barW = 12 * textScale;
  const ticks = colorbarTicks(options.metric, options.scale, options.peakLog10);
  const tickW = Math.max(...ticks.map((t) => tickWidth(t, textScale)));
  const width = Math.max(margin + mapW + 6 * textScale + barW + 4 * textScale + tickW + margin, margin * 2 + Math.max(0, ...lines.map((l, i) => textWidth(l, i === 0 ? textScale : textScale))));
  const height = margin + titleH + mapH + margin + 4 * textScale;
  const img: RgbaImage = { width, height, data: new Uint8ClampedArray(width * height * 4) };
  fillRect(img, 0, 0, width, height, bg);
  lines.forEach((l, i) => drawText(img, margin, margin + i * lineH, l, i === 0 ? fg : muted, textScale));
  const mx = margin;
  const my = margin + titleH;
  if (oneD) {
    const lut = colorTable(options.colormap ?? 'viridis');
    fillRect(img, mx, my, mapW, mapH, dark ? [45, 45, 45, 255] : [244, 244, 244, 255]);
    for (let x = 0; x < mapW; x++) {
      const v = plane.values[Math.floor(x / zoom)]!;
      const pos = colorPosition(v, peak, options.scale);
      const top = my + mapH - 1 - Math.round(pos * (mapH - 1));
      const k = Math.round(pos * 255) * 3;
      fillRect(img, mx + x, top, 1, my + mapH - top, [lut[k]!, lut[k + 1]!, lut[k + 2]!, 255]);
    }
  } else {
    planeToRgba(plane, { ...options, peak }, img, mx, my, zoom);
  }
  // colour bar with ticks
  const bx = mx + mapW + 6 * textScale;
  const bar = colorbarRgba(barW, mapH, options.colormap);
  for (let y = 0; y < mapH; y++) img.data.set(bar.data.subarray(y * barW * 4, (y + 1) * barW * 4), ((my + y) * width + bx) * 4);
  for (const t of ticks) {
    const ty = my + Math.round((1 - t.position) * (mapH - 1));
    fillRect(img, bx + barW, ty, 3 * textScale, textScale, fg);
    const labelY = Math.max(my, Math.min(my + mapH - TEXT_HEIGHT * textScale, ty - Math.round((TEXT_HEIGHT * textScale) / 2) + textScale));
    drawTick(img, bx + barW + 4 * textScale, labelY, t, fg, textScale);
  }
  return img;
}
