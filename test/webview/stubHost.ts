/**
 * The panel's host in the browser, for the webview tests, the screenshots and
 * the bench: acquireVsCodeApi() answered by the real host session
 * (src/extension/panel/session.ts) over a fake engine running the current
 * engine in the page. Loaded before the panel's script.
 */
import { PanelSession } from '../../src/extension/panel/session';
import type { HostToPanel, PanelToHost, ViewState } from '../../src/shared/protocol';
import { FakeEngine } from '../support/fakeEngine';
import { THEMES } from './themes';

interface Setup {
  uri: string;
  text: string;
  state?: ViewState;
  theme?: keyof typeof THEMES;
  input?: number | number[];
  depthLayers?: number;
  /** compute the report, the outputs' maps, the remedies and the depth profile before the panel starts (the bench: the panel's own time) */
  prewarm?: boolean;
}

const w = window as unknown as Record<string, unknown>;
const setup = w.__rflSetup as Setup;
const sent: PanelToHost[] = [];
const received: HostToPanel[] = [];
let savedState: unknown = setup.state;
const engine = new FakeEngine({ input: setup.input, depthLayers: setup.depthLayers });
engine.setText(setup.uri, setup.text);
const applied: string[] = [];
const revealed: string[] = [];
const saved: Array<{ format: string; name: string; bytes: number; head: number[] }> = [];

function offsetOf(text: string, line: number, character: number): number {
  let off = 0;
  for (let i = 0; i < line; i++) {
    const n = text.indexOf('\n', off);
    if (n < 0) return text.length;
    off = n + 1;
  }
  return off + character;
}

const session = new PanelSession<string>(engine, {
  post: (m: HostToPanel) => {
    received.push(m);
    window.postMessage(m, '*');
  },
  reveal: (l) => revealed.push(l.id),
  apply: async (fix) => {
    applied.push(fix.title);
    let text = engine['texts'].get(setup.uri) as string;
    const edits = [...fix.edits].sort((a, b) => offsetOf(text, b.range.start.line, b.range.start.character) - offsetOf(text, a.range.start.line, a.range.start.character));
    for (const e of edits) text = text.slice(0, offsetOf(text, e.range.start.line, e.range.start.character)) + e.newText + text.slice(offsetOf(text, e.range.end.line, e.range.end.character));
    engine.setText(setup.uri, text);
    await session.setDocument(setup.uri, setup.uri);
    return true;
  },
  save: async (format, data, name) => {
    saved.push({ format, name, bytes: data.length, head: Array.from(data.subarray(0, 16)) });
    return `/tmp/${name}`;
  },
});

w.acquireVsCodeApi = () => ({
  postMessage: (m: PanelToHost) => {
    sent.push(m);
    void session.handle(m);
  },
  getState: () => savedState,
  setState: (s: unknown) => {
    savedState = s;
  },
});

w.__rflHost = {
  sent,
  received,
  applied,
  revealed,
  saved,
  engine,
  session,
  state: () => savedState,
  setText: async (text: string) => {
    engine.setText(setup.uri, text);
    await session.setDocument(setup.uri, setup.uri);
  },
  selectLine: (line: number) => session.selectLine(line),
};

function applyTheme(): void {
  const theme = THEMES[setup.theme ?? 'light'];
  const root = document.documentElement;
  for (const [k, v] of Object.entries(theme.vars)) root.style.setProperty(k, v);
  document.body.classList.add(theme.bodyClass);
  document.body.dataset.vscodeThemeKind = theme.bodyClass;
}
document.addEventListener('DOMContentLoaded', applyTheme);
if (setup.prewarm) {
  const t0 = performance.now();
  void engine.report(setup.uri);
  for (const metric of ['paths', 'coverage'] as const) void engine.map(setup.uri, { layer: 'outputs', metric });
  for (const padding of ['zeros', 'reflect', 'replicate', 'circular'] as const) {
    void engine.map(setup.uri, { layer: 'outputs', metric: 'paths', padding });
    void engine.depthProfile(setup.uri, padding);
  }
  void engine.depthProfile(setup.uri);
  w.__rflPrewarm = { start: t0, end: performance.now() };
}
void session.setDocument(setup.uri, setup.uri, setup.state);
