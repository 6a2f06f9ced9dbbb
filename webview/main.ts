/**
 * The panel's script: draws the map the host sends on a canvas with the
 * shared colour map. Talks to the host only through the messages of
 * src/protocol.ts.
 */
import { colorPosition, colorTable } from '../src/shared/colormap';
import type { HostToPanel, PanelToHost } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const lut = colorTable('viridis');

function draw(message: Extract<HostToPanel, { type: 'map' }>): void {
  const canvas = document.getElementById('map') as HTMLCanvasElement;
  const title = document.getElementById('title')!;
  title.textContent = message.title;
  const { shape, values } = message.map;
  const [h, w] = shape.length === 1 ? [1, shape[0]!] : [shape[shape.length - 2]!, shape[shape.length - 1]!];
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(w, h);
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  for (let i = 0; i < w * h; i++) {
    const k = Math.round(colorPosition(values[i]!, peak, 'linear') * 255) * 3;
    image.data[i * 4] = lut[k]!;
    image.data[i * 4 + 1] = lut[k + 1]!;
    image.data[i * 4 + 2] = lut[k + 2]!;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  vscode.setState(message);
}

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  if (message.type === 'map') draw(message);
  else document.getElementById('title')!.textContent = message.message;
});

const saved = vscode.getState() as HostToPanel | undefined;
if (saved && saved.type === 'map') draw(saved);
vscode.postMessage({ type: 'ready' });
