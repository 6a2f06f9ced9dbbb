import { finding, type Finding } from '../../graph/finding';
import type { LayerNode, LayerOp, ModelGraph, RangeRole, RoleRanges, SourceRange, Window } from '../../graph/ir';
import { baseName, optionValue, sourceText } from '../common';
import type { ModelReader, ModelSource, ReadContext, ReaderOption, ReadResult } from '../reader';
import { atof, atoi, parseCfg, type CfgOption, type CfgSection } from './cfg';
import { ALEXEYAB_KEYS, ALEXEYAB_SECTIONS, DARKNET_SECTIONS, type DarknetKind } from './layers';

export type DarknetDialect = 'pjreddie' | 'alexeyab';

/** Reads a section's options with Darknet's semantics: the first occurrence of a key wins, values go through atoi/atof. */
class SectionOptions {
  private readonly byKey = new Map<string, CfgOption>();

  constructor(
    readonly section: CfgSection,
    private readonly findings: Finding[],
    private readonly layerId: string,
  ) {
    for (const o of section.options) if (!this.byKey.has(o.key)) this.byKey.set(o.key, o);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  option(key: string): CfgOption | undefined {
    return this.byKey.get(key);
  }

  range(key: string): SourceRange {
    return this.byKey.get(key)?.range ?? this.section.headerRange;
  }

  int(key: string, fallback: number): number {
    const o = this.byKey.get(key);
    if (!o) return fallback;
    if (!/^[+-]?\d+$/.test(o.value)) {
      this.findings.push(
        finding(
          'RFL100',
          `${key}=${o.value} is not an integer; Darknet reads it as ${atoi(o.value)}.`,
          o.range,
          this.layerId,
        ),
      );
    }
    return atoi(o.value);
  }

  float(key: string, fallback: number): number {
    const o = this.byKey.get(key);
    return o ? atof(o.value) : fallback;
  }

  /** A comma-separated integer list such as route's layers=-1,-4. */
  intList(key: string): number[] | null {
    const o = this.byKey.get(key);
    if (!o) return null;
    return o.value
      .split(',')
      .filter((s) => s !== '')
      .map((s) => atoi(s));
  }

  /** Value ranges under the IR's format-neutral roles, from the key that states each. */
  valueRanges(keys: Partial<Record<RangeRole, string>>): RoleRanges {
    const out: RoleRanges = {};
    for (const [role, key] of Object.entries(keys) as Array<[RangeRole, string]>) {
      const o = this.byKey.get(key);
      if (o) out[role] = o.valueRange;
    }
    return out;
  }

  /** Line ranges under the IR's roles: the first of each role's keys that the section has; name and type are the header. */
  roleRanges(keys: Partial<Record<RangeRole, string[]>>): RoleRanges {
    const out: RoleRanges = { name: this.section.headerRange, type: this.section.headerRange };
    for (const [role, list] of Object.entries(keys) as Array<[RangeRole, string[]]>) {
      const o = list.map((k) => this.byKey.get(k)).find((x) => x !== undefined);
      if (o) out[role] = o.range;
    }
    return out;
  }
}

/** Which fork a cfg is written for: AlexeyAB when it uses a key or section only that fork knows. */
function detectDialect(sections: CfgSection[]): DarknetDialect {
  for (const s of sections) {
    if (ALEXEYAB_SECTIONS.has(s.type)) return 'alexeyab';
    for (const o of s.options) {
      if (ALEXEYAB_KEYS.has(o.key)) return 'alexeyab';
      if (s.type === 'route' && o.key === 'groups') return 'alexeyab';
    }
  }
  return 'pjreddie';
}

function pair(a: number): number[] {
  return [a, a];
}

interface LayerContext {
  index: number;
  id: string;
  opts: SectionOptions;
  section: CfgSection;
  findings: Finding[];
  dialect: DarknetDialect;
  /** Darknet's index arithmetic for `layers=` and `from=`: negative is relative to this layer. */
  resolveIndex(raw: number, key: string): string | null;
  previous: string;
}

function positive(ctx: LayerContext, key: string, value: number): boolean {
  if (value > 0) return true;
  ctx.findings.push(
    finding('RFL100', `${key}=${value} must be positive; this layer is left unresolved.`, ctx.opts.range(key), ctx.id),
  );
  return false;
}

function convSpec(ctx: LayerContext): LayerOp {
  const o = ctx.opts;
  const size = o.int('size', 1);
  const stride = o.int('stride', 1);
  const strideX = o.int('stride_x', stride);
  const strideY = o.int('stride_y', stride);
  let dilation = ctx.dialect === 'alexeyab' ? o.int('dilation', 1) : 1;
  if (size === 1) dilation = 1;
  const pad = o.int('pad', 0);
  let padding = o.int('padding', 0);
  if (pad) padding = Math.trunc(size / 2);
  if (!positive(ctx, 'size', size) || !positive(ctx, 'stride', Math.min(strideX, strideY)) || !positive(ctx, 'dilation', dilation)) {
    return { op: 'unknown', reason: 'invalid convolution parameters' };
  }
  if (o.int('antialiasing', 0)) {
    ctx.findings.push(
      finding(
        'RFL100',
        'antialiasing runs this convolution at stride 1 and adds a blur of the same stride after it, which is not modelled: the real field is 2 input pixels wider (1 with antialiasing=2).',
        o.range('antialiasing'),
        ctx.id,
      ),
    );
  }
  // AlexeyAB's im2col_cpu_ext is called with pad*dilation (parser.c keeps `padding` undilated).
  const applied = padding * dilation;
  const sliding: Window = {
    kernel: pair(size),
    stride: [strideY, strideX],
    dilation: pair(dilation),
    padding: { kind: 'explicit', before: pair(applied), after: pair(applied) },
    padMode: 'zeros',
    ceil: false,
    count: 'c',
  };
  return { op: 'conv', sliding };
}

function maxpoolSpec(ctx: LayerContext, pool: 'max' | 'avg'): LayerOp {
  const o = ctx.opts;
  if (o.int('maxpool_depth', 0)) return { op: 'pointwise', kind: 'maxpool over channels' };
  const stride = o.int('stride', 1);
  const strideX = o.int('stride_x', stride);
  const strideY = o.int('stride_y', stride);
  const size = o.int('size', stride);
  if (!positive(ctx, 'size', size) || !positive(ctx, 'stride', Math.min(strideX, strideY))) {
    return { op: 'unknown', reason: 'invalid pooling parameters' };
  }
  // maxpool_layer.c: padding defaults to size-1 in total; the window starts at -padding/2.
  const total = o.int('padding', size - 1);
  const before = Math.trunc(total / 2);
  if (o.int('antialiasing', 0)) {
    ctx.findings.push(
      finding('RFL100', 'antialiasing adds a blur layer after this pool that is not modelled.', o.range('antialiasing'), ctx.id),
    );
  }
  const sliding: Window = {
    kernel: pair(size),
    stride: [strideY, strideX],
    dilation: pair(1),
    padding: {
      kind: 'explicit',
      before: pair(before),
      after: pair(total - before),
      ...(o.has('padding') ? {} : { implicitRule: 'Darknet maxpool default padding=size-1' }),
    },
    padMode: 'zeros',
    ceil: false,
    count: 'c',
  };
  return { op: 'pool', pool, sliding };
}

function localSpec(ctx: LayerContext): LayerOp {
  const o = ctx.opts;
  const size = o.int('size', 1);
  const stride = o.int('stride', 1);
  const pad = o.int('pad', 0);
  if (!positive(ctx, 'size', size) || !positive(ctx, 'stride', stride)) {
    return { op: 'unknown', reason: 'invalid local layer parameters' };
  }
  // local_layer.c passes the raw pad value to im2col_cpu and counts outputs its own way.
  const sliding: Window = {
    kernel: pair(size),
    stride: pair(stride),
    dilation: pair(1),
    padding: { kind: 'explicit', before: pair(pad), after: pair(pad) },
    padMode: 'zeros',
    ceil: false,
    count: 'darknet-local',
  };
  return { op: 'conv', sliding, local: true };
}

function deconvSpec(ctx: LayerContext): LayerOp {
  const o = ctx.opts;
  const size = o.int('size', 1);
  const stride = o.int('stride', 1);
  const pad = o.int('pad', 0);
  let padding = o.int('padding', 0);
  if (pad) padding = Math.trunc(size / 2);
  if (!positive(ctx, 'size', size) || !positive(ctx, 'stride', stride)) {
    return { op: 'unknown', reason: 'invalid deconvolution parameters' };
  }
  return {
    op: 'convtranspose',
    sliding: {
      kernel: pair(size),
      stride: pair(stride),
      dilation: pair(1),
      padding: { kind: 'explicit', before: pair(padding), after: pair(padding) },
      padMode: 'zeros',
      ceil: false,
    },
    outputPadding: pair(0),
  };
}

function reorgSpec(ctx: LayerContext, kind: DarknetKind): LayerOp {
  const o = ctx.opts;
  const stride = o.int('stride', 1);
  if (!positive(ctx, 'stride', stride)) return { op: 'unknown', reason: 'invalid reorg stride' };
  if (o.int('flatten', 0) || o.int('extra', 0)) {
    ctx.findings.push(finding('RFL100', 'reorg with flatten or extra is not modelled.', ctx.section.headerRange, ctx.id));
    return { op: 'unknown', reason: 'reorg flatten/extra' };
  }
  // [reorg] (REORG_OLD in AlexeyAB's fork) calls reorg_cpu with the input's dimensions,
  // [reorg3d] with the output's. Reversed, the first is a clean depth-to-space and the second is not.
  if (o.int('reverse', 0)) {
    if (kind === 'reorg3d') {
      ctx.findings.push(
        finding(
          'RFL100',
          "[reorg3d] reverse=1 calls reorg_cpu with the output's dimensions and gathers rows out of place; it is shown as a clean depth-to-space.",
          o.range('reverse'),
          ctx.id,
        ),
      );
    }
    return { op: 'pixelShuffle', factor: pair(stride) };
  }
  return { op: 'spaceToDepth', block: pair(stride), layout: kind === 'reorg3d' ? 'darknet-reorg3d' : 'darknet-reorg' };
}

function buildSpec(kind: DarknetKind, ctx: LayerContext, inputs: string[]): LayerOp {
  const o = ctx.opts;
  switch (kind) {
    case 'conv':
      return convSpec(ctx);
    case 'local':
      return localSpec(ctx);
    case 'deconv':
      return deconvSpec(ctx);
    case 'maxpool':
      return maxpoolSpec(ctx, 'max');
    case 'localAvgpool':
      return maxpoolSpec(ctx, 'avg');
    case 'avgpool':
      return { op: 'globalPool' };
    case 'connected':
      return { op: 'dense' };
    case 'pointwise':
    case 'output':
      return { op: 'pointwise', kind: ctx.section.type };
    case 'route': {
      const list = o.intList('layers');
      if (!list || list.length === 0) {
        ctx.findings.push(finding('RFL100', '[route] needs layers=.', ctx.section.headerRange, ctx.id));
        return { op: 'unknown', reason: 'route without layers' };
      }
      inputs.length = 0;
      for (const raw of list) {
        const id = ctx.resolveIndex(raw, 'layers');
        if (id !== null) inputs.push(id);
      }
      if (inputs.length === 0) return { op: 'unknown', reason: 'route without valid layers' };
      // groups/group_id take a slice of channels: spatially the identity.
      return inputs.length === 1 ? { op: 'pointwise', kind: 'route' } : { op: 'concat', align: 'exact' };
    }
    case 'shortcut': {
      let list = o.intList('from');
      if (!list || list.length === 0) {
        ctx.findings.push(finding('RFL100', '[shortcut] needs from=.', ctx.section.headerRange, ctx.id));
        return { op: 'unknown', reason: 'shortcut without from' };
      }
      if (ctx.dialect === 'pjreddie' && list.length > 1) {
        // parse_shortcut: int index = atoi(l);
        ctx.findings.push(
          finding('RFL100', `pjreddie's Darknet reads only the first layer of from=${o.option('from')!.value}; the others are ignored.`, o.range('from'), ctx.id),
        );
        list = list.slice(0, 1);
      }
      for (const raw of list) {
        const id = ctx.resolveIndex(raw, 'from');
        if (id !== null) inputs.push(id);
      }
      const align = ctx.dialect === 'pjreddie' ? 'darknet-sample' : 'darknet-flat';
      return inputs.length > 1 ? { op: 'add', align } : { op: 'pointwise', kind: 'shortcut' };
    }
    case 'scaleChannels':
    case 'sam': {
      const list = o.intList('from');
      const id = list && list.length ? ctx.resolveIndex(list[0]!, 'from') : null;
      if (id === null) {
        ctx.findings.push(finding('RFL100', `[${ctx.section.type}] needs a valid from=.`, o.range('from'), ctx.id));
        return { op: 'unknown', reason: 'missing from' };
      }
      inputs.push(id);
      return { op: 'mul', align: 'exact' };
    }
    case 'upsample': {
      const stride = o.int('stride', 2);
      if (stride === 0) {
        ctx.findings.push(finding('RFL100', 'stride=0 is not a valid upsampling factor.', o.range('stride'), ctx.id));
        return { op: 'unknown', reason: 'upsample stride 0' };
      }
      if (stride < 0) {
        // upsample_layer.c: a negative stride sums stride x stride blocks (reverse upsampling).
        const s = -stride;
        return {
          op: 'pool',
          pool: 'avg',
          sliding: {
            kernel: pair(s),
            stride: pair(s),
            dilation: pair(1),
            padding: { kind: 'explicit', before: pair(0), after: pair(0) },
            padMode: 'zeros',
            ceil: false,
          },
        };
      }
      return { op: 'upsample', mode: 'nearest', scale: pair(stride), size: null, alignCorners: false };
    }
    case 'reorg':
    case 'reorg3d':
      return reorgSpec(ctx, kind);
    case 'crop': {
      const h = o.int('crop_height', 1);
      const w = o.int('crop_width', 1);
      if (!positive(ctx, 'crop_height', h) || !positive(ctx, 'crop_width', w)) {
        return { op: 'unknown', reason: 'invalid crop size' };
      }
      // crop_layer.c at test time: dh = (h - out_h)/2, dw = (w - out_w)/2.
      return { op: 'crop', offset: 'center', size: [h, w] };
    }
    case 'constant':
      inputs.length = 0;
      return { op: 'constant' };
    case 'recurrent':
      ctx.findings.push(
        finding(
          'RFL100',
          `[${ctx.section.type}] is a recurrent layer; its spatial effect is not modelled and it is treated as the identity.`,
          ctx.section.headerRange,
          ctx.id,
        ),
      );
      return { op: 'unknown', reason: 'recurrent layer' };
  }
}

/** Which key states each role of a layer (the first present wins). */
const LAYER_ROLE_KEYS: Partial<Record<RangeRole, string[]>> = {
  kernel: ['size'],
  stride: ['stride', 'stride_y', 'stride_x'],
  padding: ['pad', 'padding'],
  dilation: ['dilation'],
};

const DIALECT_OPTION: ReaderOption = {
  name: 'dialect',
  description: 'the Darknet fork to follow where they differ ([reorg], [shortcut]); auto: AlexeyAB when the file uses a key or section only it knows',
  values: ['auto', 'pjreddie', 'alexeyab'],
  default: 'auto',
};

function readDarknet(source: ModelSource, context: ReadContext): ReadResult {
  const text = sourceText(source);
  const cfg = parseCfg(text);
  const findings: Finding[] = cfg.problems.map((p) => finding('RFL100', p.message, p.range, null));
  const sections = cfg.sections;
  const name = baseName(source.fileName);
  if (sections.length === 0) {
    findings.push(finding('RFL100', 'No [net] section: this is not a Darknet network definition.', null, null));
    return { models: [], findings };
  }
  const wanted = optionValue(context.options, DIALECT_OPTION);
  const dialect: DarknetDialect = wanted === 'pjreddie' || wanted === 'alexeyab' ? wanted : detectDialect(sections);

  const netSection = sections[0]!;
  let layerSections = sections.slice(1);
  let statedInput: number[] | null = null;
  const inputNode: LayerNode = {
    id: 'input',
    name: netSection.header,
    type: netSection.type,
    inputs: [],
    spec: { op: 'input', shape: null },
    origin: netSection.range,
  };
  if (netSection.type === 'net' || netSection.type === 'network') {
    const netOpts = new SectionOptions(netSection, findings, 'input');
    const h = netOpts.int('height', 0);
    const w = netOpts.int('width', 0);
    if (h > 0 && w > 0) statedInput = [h, w];
    else {
      // Darknet stops here ("No input parameters supplied"); we analyse at the default size instead.
      const bad = (['height', 'width'] as const).filter((k) => netOpts.has(k) && !((k === 'height' ? h : w) > 0));
      const missing = (['height', 'width'] as const).filter((k) => !netOpts.has(k));
      const problem = bad.length
        ? `${bad.map((k) => `${k}=${netOpts.option(k)!.value}`).join(' and ')} ${bad.length === 1 ? 'is not a usable input size' : 'are not usable input sizes'}`
        : missing.length === 1
          ? `[net] states ${missing[0] === 'height' ? 'width' : 'height'} but not ${missing[0]}`
          : null;
      if (problem) {
        findings.push(
          finding('RFL100', `${problem}; Darknet stops on this, the analysis uses the default input size.`, netOpts.range(bad[0] ?? (missing[0] === 'height' ? 'width' : 'height')), 'input'),
        );
      }
    }
    inputNode.ranges = netOpts.roleRanges({ 'inputSize:0': ['height'], 'inputSize:1': ['width'] });
    inputNode.valueRanges = netOpts.valueRanges({ 'inputSize:0': 'height', 'inputSize:1': 'width' });
  } else {
    findings.push(
      finding(
        'RFL100',
        `The first section should be [net]; found ${netSection.header}. It is read as a layer and the input size is not stated.`,
        netSection.headerRange,
        null,
      ),
    );
    inputNode.name = '[net]';
    inputNode.type = 'net';
    inputNode.origin = null;
    layerSections = sections;
  }
  inputNode.spec = { op: 'input', shape: statedInput };

  const nodes: LayerNode[] = [inputNode];
  const outputs: string[] = [];
  layerSections.forEach((section, index) => {
    const id = String(index);
    const opts = new SectionOptions(section, findings, id);
    const previous = index === 0 ? 'input' : String(index - 1);
    const ctx: LayerContext = {
      index,
      id,
      opts,
      section,
      findings,
      dialect,
      previous,
      resolveIndex(raw: number, key: string): string | null {
        const target = raw < 0 ? index + raw : raw;
        if (target < 0 || target >= index) {
          findings.push(
            finding(
              'RFL100',
              `${key}=${raw} refers to layer ${target}, which is not an earlier layer of this network (this is layer ${index}).`,
              opts.range(key),
              id,
            ),
          );
          return null;
        }
        return String(target);
      },
    };
    let kind = DARKNET_SECTIONS[section.type];
    if (!kind) {
      // string_to_layer_type compares exactly: [Convolutional] stops Darknet.
      const near = Object.keys(DARKNET_SECTIONS).find((k) => k.toLowerCase() === section.type.toLowerCase());
      if (near) {
        kind = DARKNET_SECTIONS[near];
        findings.push(
          finding('RFL100', `Darknet matches section names exactly and would stop at ${section.header}; it is read as [${near}].`, section.headerRange, id),
        );
      }
    }
    const inputs = [previous];
    let spec: LayerOp;
    if (!kind) {
      findings.push(
        finding(
          'RFL100',
          `Unknown layer type ${section.header}: Darknet would stop here. It is treated as the identity so the rest can be analysed.`,
          section.headerRange,
          id,
        ),
      );
      spec = { op: 'unknown', reason: `unknown section ${section.header}` };
    } else {
      spec = buildSpec(kind, ctx, inputs);
      if (kind === 'output') outputs.push(id);
    }
    nodes.push({
      id,
      name: `${section.header} ${index}`,
      type: section.type,
      inputs,
      spec,
      origin: section.range,
      ranges: opts.roleRanges(LAYER_ROLE_KEYS),
      valueRanges:
        kind === 'conv' || kind === 'maxpool' || kind === 'localAvgpool' || kind === 'local'
          ? opts.valueRanges({ kernel: 'size', stride: 'stride' })
          : {},
    });
  });
  if (outputs.length === 0 && nodes.length > 1) outputs.push(nodes[nodes.length - 1]!.id);
  if (nodes.length === 1) {
    findings.push(finding('RFL100', 'The network has no layers after [net].', netSection.headerRange, null));
  }
  const graph: ModelGraph = {
    format: 'darknet',
    name,
    rank: 2,
    nodes,
    outputs,
    statedInput,
    dialect,
  };
  return { models: [graph], findings };
}

export const darknetReader: ModelReader = {
  format: 'darknet',
  displayName: 'Darknet',
  options: [DIALECT_OPTION],
  extensions: ['.cfg'],
  /**
   * A Darknet cfg by its structure, as read_cfg sees it: the first line that
   * is not blank or a comment ('#', ';') is a section header naming [net],
   * [network] or a Darknet layer. An INI file ([metadata], setup.cfg) is not one.
   */
  match(source: ModelSource): boolean {
    const head = sourceText(source).slice(0, 4096);
    for (const raw of head.split(/\r\n|\r|\n/)) {
      const stripped = raw.replace(/\s+/g, '');
      if (stripped === '' || stripped[0] === '#' || stripped[0] === ';') continue;
      const m = /^\[([A-Za-z0-9_]+)\]$/.exec(stripped);
      if (!m) return false;
      const name = m[1]!.toLowerCase();
      return name === 'net' || name === 'network' || Object.keys(DARKNET_SECTIONS).some((k) => k.toLowerCase() === name);
    }
    return false;
  },
  read: readDarknet,
};
