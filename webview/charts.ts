/**
 * Small line charts with uPlot: the axis profiles beside and under the map,
 * and the depth profile of edge and corner ratios (log scale).
 */
import uPlot from 'uplot';

export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function palette(): Record<string, string> {
  return {
    fg: themeColor('--vscode-foreground', '#333'),
    muted: themeColor('--vscode-descriptionForeground', '#777'),
    grid: themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)'),
    blue: themeColor('--vscode-charts-blue', '#3794ff'),
    red: themeColor('--vscode-charts-red', '#f14c4c'),
    green: themeColor('--vscode-charts-green', '#89d185'),
    yellow: themeColor('--vscode-charts-yellow', '#cca700'),
    orange: themeColor('--vscode-charts-orange', '#d18616'),
    purple: themeColor('--vscode-charts-purple', '#b180d7'),
  };
}

/** A CSS colour (#rgb, #rrggbb or rgb()) with an alpha. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let r = 0, g = 0, b = 0;
  if (/^#[0-9a-f]{3}$/i.test(c)) [r, g, b] = [1, 2, 3].map((i) => parseInt(c[i]! + c[i]!, 16)) as [number, number, number];
  else if (/^#[0-9a-f]{6}/i.test(c)) [r, g, b] = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
  else {
    const m = /rgba?\((\d+)\D+(\d+)\D+(\d+)/.exec(c);
    if (!m) return c;
    [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function axisStyle(p: Record<string, string>, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    stroke: p.muted,
    grid: { stroke: withAlpha(p.grid, 0.45), width: 1 },
    ticks: { stroke: withAlpha(p.grid, 0.6), width: 1, size: 4 },
    font: '10px var(--vscode-font-family, sans-serif)',
    ...extra,
  };
}

/**
 * An axis profile: the sum along one axis (solid) and the centre line
 * (dashed), both divided by their own peak. `vertical` draws it beside the
 * map, running down like the map's rows.
 */
export class ProfileChart {
  private plot: uPlot | null = null;
  constructor(
    private readonly host: HTMLElement,
    private readonly vertical: boolean,
    private readonly label: string,
  ) {}

  update(sums: Float64Array, centre: Float64Array, width: number, height: number): void {
    const n = sums.length;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = i;
    const norm = (a: Float64Array) => {
      let m = 0;
      for (const v of a) if (v > m) m = v;
      const out = new Float64Array(a.length);
      if (m > 0) for (let i = 0; i < a.length; i++) out[i] = a[i]! / m;
      return out;
    };
    // the centre line under the sum (the centre line of a strided network ripples)
    const data: uPlot.AlignedData = [xs, norm(centre), norm(sums)];
    const p = palette();
    const key = `${this.vertical}|${width}|${height}`;
    if (this.plot && (this.plot as unknown as { _key: string })._key === key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    const opts: uPlot.Options = {
      width,
      height,
      legend: { show: false },
      cursor: { show: false },
      padding: [2, 2, 2, 2],
      scales: this.vertical
        ? { x: { time: false, ori: 1, dir: -1, range: [-0.5, n - 0.5] }, y: { ori: 0, dir: 1, range: [0, 1.02] } }
        : { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: [0, 1.02] } },
      axes: this.vertical
        ? [axisStyle(p, { side: 3, show: false }), axisStyle(p, { side: 2, show: false })]
        : [axisStyle(p, { show: false }), axisStyle(p, { show: false })],
      series: [
        {},
        { label: 'centre line', stroke: withAlpha(p.orange, 0.75), width: 1, points: { show: false } },
        { label: 'sum', stroke: p.blue, width: 1.75, fill: withAlpha(p.blue, 0.13), points: { show: false } },
      ],
    };
    this.plot = new uPlot(opts, data, this.host);
    (this.plot as unknown as { _key: string })._key = key;
    this.host.setAttribute('role', 'img');
    this.host.setAttribute('aria-label', this.label);
  }
}

export interface DepthLine {
  label: string;
  color: string;
  edge: Array<number | null>;
  corner: Array<number | null>;
  emphasis?: boolean;
}

/** Edge ratio (solid) and corner ratio (dashed) per layer along the depth, log scale. */
export class DepthChart {
  private plot: uPlot | null = null;
  onPick: ((index: number) => void) | null = null;

  constructor(private readonly host: HTMLElement) {}

  update(layerNames: string[], lines: DepthLine[], width: number, height: number, marker: number | null): void {
    const p = palette();
    const n = layerNames.length;
    const xs = Array.from({ length: n }, (_, i) => i);
    const data: uPlot.AlignedData = [xs];
    const series: uPlot.Series[] = [{ label: 'layer', value: (_u, v) => (v === null ? '' : (layerNames[v] ?? String(v))) }];
    // log scales cannot show 0: a dead corner is drawn at the bottom of the range
    let lo = 1;
    for (const l of lines) for (const v of [...l.edge, ...l.corner]) if (v !== null && v > 0 && v < lo) lo = v;
    const floor = Math.max(1e-300, Math.pow(10, Math.floor(Math.log10(lo))));
    const clampLog = (v: number | null) => (v === null ? null : v > 0 ? v : floor);
    for (const l of lines) {
      data.push(l.edge.map(clampLog));
      series.push({ label: `${l.label} edge`, stroke: l.color, width: l.emphasis ? 2.5 : 1.5, points: { show: false }, spanGaps: true });
      data.push(l.corner.map(clampLog));
      series.push({ label: `${l.label} corner`, stroke: l.color, width: 1, dash: [4, 3], points: { show: false }, spanGaps: true });
    }
    this.plot?.destroy();
    const self = this;
    this.plot = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: false, range: [0, Math.max(1, n - 1)] }, y: { distr: 3, range: [floor, 1.5] } },
        axes: [
          axisStyle(p, { label: 'layer (depth)', labelSize: 14, labelFont: '11px var(--vscode-font-family, sans-serif)', size: 30 }),
          axisStyle(p, {
            label: 'ratio to peak',
            labelSize: 14,
            labelFont: '11px var(--vscode-font-family, sans-serif)',
            size: 52,
            // decades only: a log axis would otherwise draw a line at every 2..9 of each decade
            filter: (_u, splits) => splits.map((v) => (v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? v : null)),
            values: (_u, vals) => vals.map((v) => (v === null ? '' : v >= 0.01 ? String(v) : `1e${Math.round(Math.log10(v))}`)),
          }),
        ],
        series,
        hooks: {
          draw: [
            (u) => {
              if (marker === null) return;
              const x = u.valToPos(marker, 'x', true);
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = p.fg;
              ctx.globalAlpha = 0.5;
              ctx.lineWidth = 1 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
          setCursor: [() => {}],
        },
      },
      data,
      this.host,
    );
    this.plot.over.addEventListener('click', () => {
      const idx = self.plot?.cursor.idx;
      if (idx !== null && idx !== undefined) self.onPick?.(idx);
    });
  }
}
