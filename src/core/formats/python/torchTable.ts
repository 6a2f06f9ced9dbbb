/**
 * torch.nn layers as data: each class's constructor signature (PyTorch's own
 * parameter order and defaults) and what it is spatially. The interpreter binds
 * a constructor call against the signature; torch.ts turns the bound values
 * into an IR op.
 */

export type TorchKind =
  | 'conv'
  | 'convT'
  | 'maxpool'
  | 'avgpool'
  | 'lppool'
  | 'adaptiveAvg'
  | 'adaptiveMax'
  | 'pad'
  | 'upsample'
  | 'pixelShuffle'
  | 'pixelUnshuffle'
  | 'pointwise'
  | 'dense'
  | 'flatten'
  | 'attention'
  | 'transformer'
  | 'recurrent'
  | 'unknown';

export interface TorchLayerDef {
  kind: TorchKind;
  /** spatial rank the class fixes (Conv2d: 2); absent when it adapts to its input */
  rank?: number;
  /** parameter names in order; defaults are PyTorch's where they matter spatially */
  sig: string[];
  defaults?: Record<string, unknown>;
  padMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
  upsampleMode?: 'nearest' | 'bilinear';
}

const CONV_SIG = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode', 'device', 'dtype'];
const CONVT_SIG = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode', 'device', 'dtype'];
const CONV_DEF = { stride: 1, padding: 0, dilation: 1, groups: 1, padding_mode: 'zeros' };
const MAXPOOL_SIG = ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'];
const AVGPOOL_SIG = ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'];
const POOL_DEF = { stride: null, padding: 0, dilation: 1, ceil_mode: false };

export const TORCH_LAYERS: Record<string, TorchLayerDef> = {
  Conv1d: { kind: 'conv', rank: 1, sig: CONV_SIG, defaults: CONV_DEF },
  Conv2d: { kind: 'conv', rank: 2, sig: CONV_SIG, defaults: CONV_DEF },
  Conv3d: { kind: 'conv', rank: 3, sig: CONV_SIG, defaults: CONV_DEF },
  LazyConv1d: { kind: 'conv', rank: 1, sig: CONV_SIG.slice(1), defaults: CONV_DEF },
  LazyConv2d: { kind: 'conv', rank: 2, sig: CONV_SIG.slice(1), defaults: CONV_DEF },
  LazyConv3d: { kind: 'conv', rank: 3, sig: CONV_SIG.slice(1), defaults: CONV_DEF },
  ConvTranspose1d: { kind: 'convT', rank: 1, sig: CONVT_SIG, defaults: { ...CONV_DEF, output_padding: 0 } },
  ConvTranspose2d: { kind: 'convT', rank: 2, sig: CONVT_SIG, defaults: { ...CONV_DEF, output_padding: 0 } },
  ConvTranspose3d: { kind: 'convT', rank: 3, sig: CONVT_SIG, defaults: { ...CONV_DEF, output_padding: 0 } },
  MaxPool1d: { kind: 'maxpool', rank: 1, sig: MAXPOOL_SIG, defaults: POOL_DEF },
  MaxPool2d: { kind: 'maxpool', rank: 2, sig: MAXPOOL_SIG, defaults: POOL_DEF },
  MaxPool3d: { kind: 'maxpool', rank: 3, sig: MAXPOOL_SIG, defaults: POOL_DEF },
  AvgPool1d: { kind: 'avgpool', rank: 1, sig: AVGPOOL_SIG, defaults: POOL_DEF },
  AvgPool2d: { kind: 'avgpool', rank: 2, sig: AVGPOOL_SIG, defaults: POOL_DEF },
  AvgPool3d: { kind: 'avgpool', rank: 3, sig: AVGPOOL_SIG, defaults: POOL_DEF },
  LPPool1d: { kind: 'lppool', rank: 1, sig: ['norm_type', 'kernel_size', 'stride', 'ceil_mode'], defaults: POOL_DEF },
  LPPool2d: { kind: 'lppool', rank: 2, sig: ['norm_type', 'kernel_size', 'stride', 'ceil_mode'], defaults: POOL_DEF },
  AdaptiveAvgPool1d: { kind: 'adaptiveAvg', rank: 1, sig: ['output_size'] },
  AdaptiveAvgPool2d: { kind: 'adaptiveAvg', rank: 2, sig: ['output_size'] },
  AdaptiveAvgPool3d: { kind: 'adaptiveAvg', rank: 3, sig: ['output_size'] },
  AdaptiveMaxPool1d: { kind: 'adaptiveMax', rank: 1, sig: ['output_size', 'return_indices'] },
  AdaptiveMaxPool2d: { kind: 'adaptiveMax', rank: 2, sig: ['output_size', 'return_indices'] },
  AdaptiveMaxPool3d: { kind: 'adaptiveMax', rank: 3, sig: ['output_size', 'return_indices'] },
  ZeroPad1d: { kind: 'pad', rank: 1, sig: ['padding'], padMode: 'zeros' },
  ZeroPad2d: { kind: 'pad', rank: 2, sig: ['padding'], padMode: 'zeros' },
  ZeroPad3d: { kind: 'pad', rank: 3, sig: ['padding'], padMode: 'zeros' },
  ConstantPad1d: { kind: 'pad', rank: 1, sig: ['padding', 'value'], padMode: 'zeros' },
  ConstantPad2d: { kind: 'pad', rank: 2, sig: ['padding', 'value'], padMode: 'zeros' },
  ConstantPad3d: { kind: 'pad', rank: 3, sig: ['padding', 'value'], padMode: 'zeros' },
  ReflectionPad1d: { kind: 'pad', rank: 1, sig: ['padding'], padMode: 'reflect' },
  ReflectionPad2d: { kind: 'pad', rank: 2, sig: ['padding'], padMode: 'reflect' },
  ReflectionPad3d: { kind: 'pad', rank: 3, sig: ['padding'], padMode: 'reflect' },
  ReplicationPad1d: { kind: 'pad', rank: 1, sig: ['padding'], padMode: 'replicate' },
  ReplicationPad2d: { kind: 'pad', rank: 2, sig: ['padding'], padMode: 'replicate' },
  ReplicationPad3d: { kind: 'pad', rank: 3, sig: ['padding'], padMode: 'replicate' },
  CircularPad1d: { kind: 'pad', rank: 1, sig: ['padding'], padMode: 'circular' },
  CircularPad2d: { kind: 'pad', rank: 2, sig: ['padding'], padMode: 'circular' },
  CircularPad3d: { kind: 'pad', rank: 3, sig: ['padding'], padMode: 'circular' },
  Upsample: { kind: 'upsample', sig: ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'], defaults: { mode: 'nearest' } },
  UpsamplingNearest2d: { kind: 'upsample', rank: 2, sig: ['size', 'scale_factor'], defaults: { mode: 'nearest' } },
  UpsamplingBilinear2d: { kind: 'upsample', rank: 2, sig: ['size', 'scale_factor'], defaults: { mode: 'bilinear', align_corners: true } },
  PixelShuffle: { kind: 'pixelShuffle', rank: 2, sig: ['upscale_factor'] },
  PixelUnshuffle: { kind: 'pixelUnshuffle', rank: 2, sig: ['downscale_factor'] },
  Linear: { kind: 'dense', sig: ['in_features', 'out_features', 'bias'] },
  LazyLinear: { kind: 'dense', sig: ['out_features', 'bias'] },
  Bilinear: { kind: 'dense', sig: ['in1_features', 'in2_features', 'out_features'] },
  Flatten: { kind: 'flatten', sig: ['start_dim', 'end_dim'], defaults: { start_dim: 1 } },
  MultiheadAttention: { kind: 'attention', sig: ['embed_dim', 'num_heads'] },
  TransformerEncoderLayer: { kind: 'transformer', sig: ['d_model', 'nhead'] },
  TransformerDecoderLayer: { kind: 'transformer', sig: ['d_model', 'nhead'] },
  TransformerEncoder: { kind: 'transformer', sig: ['encoder_layer', 'num_layers'] },
  TransformerDecoder: { kind: 'transformer', sig: ['decoder_layer', 'num_layers'] },
  Transformer: { kind: 'transformer', sig: ['d_model', 'nhead'] },
  LSTM: { kind: 'recurrent', sig: ['input_size', 'hidden_size'] },
  GRU: { kind: 'recurrent', sig: ['input_size', 'hidden_size'] },
  RNN: { kind: 'recurrent', sig: ['input_size', 'hidden_size'] },
  Embedding: { kind: 'unknown', sig: ['num_embeddings', 'embedding_dim'] },
  Unflatten: { kind: 'unknown', sig: ['dim', 'unflattened_size'] },
  Fold: { kind: 'unknown', sig: ['output_size', 'kernel_size'] },
  Unfold: { kind: 'unknown', sig: ['kernel_size'] },
};

/** Layers that are spatially the identity: norms, activations, dropout, channel operations. */
export const TORCH_POINTWISE = [
  'Identity', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'LazyBatchNorm1d', 'LazyBatchNorm2d', 'LazyBatchNorm3d', 'SyncBatchNorm',
  'GroupNorm', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'LayerNorm', 'LocalResponseNorm', 'CrossMapLRN2d', 'RMSNorm',
  'ReLU', 'ReLU6', 'LeakyReLU', 'PReLU', 'RReLU', 'ELU', 'SELU', 'CELU', 'GELU', 'SiLU', 'Mish', 'Sigmoid', 'Tanh', 'Hardswish',
  'Hardsigmoid', 'Hardtanh', 'Hardshrink', 'Softshrink', 'Tanhshrink', 'Softsign', 'Softplus', 'Threshold', 'GLU', 'LogSigmoid',
  'Softmax', 'Softmax2d', 'LogSoftmax', 'Softmin', 'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout',
  'FeatureAlphaDropout', 'ChannelShuffle',
];

/** Functional ops of torch.nn.functional and torch that are spatially the identity. */
export const FUNCTIONAL_POINTWISE = new Set([
  'relu', 'relu_', 'relu6', 'leaky_relu', 'leaky_relu_', 'prelu', 'elu', 'elu_', 'selu', 'celu', 'gelu', 'silu', 'mish', 'sigmoid',
  'tanh', 'hardswish', 'hardsigmoid', 'hardtanh', 'hardtanh_', 'softplus', 'softmax', 'log_softmax', 'softsign', 'threshold',
  'glu', 'logsigmoid', 'dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'batch_norm', 'layer_norm', 'group_norm',
  'instance_norm', 'local_response_norm', 'normalize', 'channel_shuffle', 'native_channel_shuffle', 'abs', 'exp', 'log', 'sqrt',
  'rsqrt', 'neg', 'clamp', 'clamp_', 'clip', 'square', 'pow', 'sign', 'erf', 'sin', 'cos', 'contiguous', 'detach', 'clone', 'float',
  'half', 'double', 'relu_6', 'hardswish_', 'sigmoid_', 'tanh_', 'exp_', 'mul_', 'div_', 'add_', 'sub_', 'neg_', 'softmax2d',
]);
