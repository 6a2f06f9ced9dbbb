/** Number formatting for the panel's labels (plain text, read aloud by screen readers too). */

export function fmtRatio(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  if (v >= 0.01) return v.toFixed(v >= 0.995 ? 2 : 3).replace(/0+$/, '').replace(/\.$/, '');
  return v.toExponential(1).replace('e-', '×10⁻').replace(/⁻(\d+)/, (_, d: string) => '⁻' + sup(d));
}

export function fmtPercent(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

const SUP: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻', '.': '·' };
export function sup(s: string): string {
  return [...s].map((c) => SUP[c] ?? c).join('');
}

/** A path count from a normalised value and the map's log10(peak): "3.2×10¹²", or the integer when small. */
export function fmtCount(normalised: number, peakLog10: number | null): string {
  if (peakLog10 === null || normalised <= 0) return '0';
  const log = Math.log10(normalised) + peakLog10;
  if (log < 6) return String(Math.round(Math.pow(10, log)));
  const e = Math.floor(log);
  const m = Math.pow(10, log - e);
  return `${m.toFixed(2)}×10${sup(String(e))}`;
}

export function fmtAxes(v: ReadonlyArray<number | null> | null | undefined, digits = 1): string {
  if (!v) return '–';
  const f = (x: number | null) => (x === null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
  return v.every((x) => x === v[0]) ? f(v[0]!) : v.map(f).join(' × ');
}

export function fmtShape(v: number[] | null | undefined): string {
  return v ? v.join('×') : '–';
}
