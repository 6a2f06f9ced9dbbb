/**
 * How the engine's numbers read in words, shared by findings, the command
 * line's table and the editor's hovers, so a figure looks the same everywhere.
 */

/** A size per axis: "3x3", "224x224x16". */
export function sizeText(size: readonly number[]): string {
  return size.join('x');
}

/** A per-axis value written once when every axis agrees ("32"), else per axis ("32x16"), at most `digits` decimals. */
export function axesText(values: ReadonlyArray<number | null> | null | undefined, digits = 2): string {
  if (!values || values.length === 0) return '-';
  const t = values.map((v) => (v === null || !Number.isFinite(v) ? '-' : numberText(v, digits)));
  return t.every((x) => x === t[0]) ? t[0]! : t.join('x');
}

/** A number with at most `digits` decimals and no trailing zeros: 3, 0.25, 15.5. */
export function numberText(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '-';
  return Number.isInteger(x) ? String(x) : x.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

/** A share as a percentage that keeps small shares readable: "31.0%", "2.40%", "4.1e-3%". */
export function percentText(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.001) return `${(x * 100).toExponential(1)}%`;
  return `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
}
