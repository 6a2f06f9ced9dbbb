/**
 * Darknet section types and what they are spatially, as data, keyed by the
 * exact header string_to_layer_type compares (pjreddie's and AlexeyAB's
 * parser.c). Defaults that depend on other keys (maxpool size = stride,
 * padding = size-1) live in the reader next to the one place that reads them.
 */

export type DarknetKind =
  | 'conv'
  | 'local'
  | 'deconv'
  | 'maxpool'
  | 'localAvgpool'
  | 'avgpool'
  | 'connected'
  | 'pointwise'
  | 'output'
  | 'route'
  | 'shortcut'
  | 'upsample'
  | 'reorg'
  | 'reorg3d'
  | 'crop'
  | 'scaleChannels'
  | 'sam'
  | 'constant'
  | 'recurrent';

export const DARKNET_SECTIONS: Record<string, DarknetKind> = {
  convolutional: 'conv',
  conv: 'conv',
  local: 'local',
  deconvolutional: 'deconv',
  deconv: 'deconv',
  maxpool: 'maxpool',
  max: 'maxpool',
  local_avgpool: 'localAvgpool',
  local_avg: 'localAvgpool',
  avgpool: 'avgpool',
  avg: 'avgpool',
  connected: 'connected',
  conn: 'connected',
  dropout: 'pointwise',
  batchnorm: 'pointwise',
  activation: 'pointwise',
  softmax: 'pointwise',
  soft: 'pointwise',
  cost: 'pointwise',
  logistic: 'pointwise',
  l2norm: 'pointwise',
  normalization: 'pointwise',
  lrn: 'pointwise',
  empty: 'pointwise',
  silence: 'pointwise',
  contrastive: 'pointwise',
  yolo: 'output',
  Gaussian_yolo: 'output',
  region: 'output',
  detection: 'output',
  iseg: 'output',
  route: 'route',
  shortcut: 'shortcut',
  upsample: 'upsample',
  reorg: 'reorg',
  reorg3d: 'reorg3d',
  crop: 'crop',
  scale_channels: 'scaleChannels',
  sam: 'sam',
  implicit: 'constant',
  rnn: 'recurrent',
  crnn: 'recurrent',
  lstm: 'recurrent',
  gru: 'recurrent',
  conv_lstm: 'recurrent',
  history: 'recurrent',
};

/** Sections and keys only AlexeyAB's fork knows; their presence decides the dialect in 'auto'. */
export const ALEXEYAB_SECTIONS = new Set([
  'scale_channels',
  'sam',
  'Gaussian_yolo',
  'reorg3d',
  'implicit',
  'contrastive',
  'conv_lstm',
  'local_avgpool',
  'local_avg',
  'empty',
  'silence',
]);

export const ALEXEYAB_KEYS = new Set([
  'stride_x',
  'stride_y',
  'dilation',
  'share_index',
  'antialiasing',
  'group_id',
  'scale_x_y',
  'iou_loss',
  'iou_normalizer',
  'new_coords',
  'nms_kind',
  'mosaic',
  'cutmix',
  'weights_type',
  'weights_normalization',
  'letter_box',
  'objectness_smooth',
  'max_delta',
]);
