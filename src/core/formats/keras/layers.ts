/**
 * Keras layer classes and what they are spatially, as data, keyed by the
 * `class_name` of model JSON (Keras 1, 2 and 3 names and aliases). The
 * reader turns each kind into an IR op with the layer's config.
 */

export type KerasKind =
  | 'input'
  | 'conv'
  | 'convtranspose'
  | 'pool'
  | 'globalPool'
  | 'zeroPad'
  | 'crop'
  | 'centerCrop'
  | 'resize'
  | 'upsample'
  | 'merge'
  | 'dense'
  | 'flatten'
  | 'pointwise'
  | 'normalize'
  | 'model'
  | 'lambda'
  | 'tfOp'
  | 'unsupported';

export interface KerasLayerInfo {
  kind: KerasKind;
  /** spatial rank the class works on (Conv1D: 1, Conv2D: 2); 0 when any */
  rank: number;
  pool?: 'max' | 'avg';
  merge?: 'add' | 'mul' | 'concat';
}

const T: Record<string, KerasLayerInfo> = {};
function add(kind: KerasKind, rank: number, names: string[], extra: Partial<KerasLayerInfo> = {}): void {
  for (const n of names) T[n] = { kind, rank, ...extra };
}

add('input', 0, ['InputLayer']);
add('conv', 1, ['Conv1D', 'Convolution1D', 'SeparableConv1D', 'SeparableConvolution1D', 'DepthwiseConv1D', 'AtrousConvolution1D']);
add('conv', 2, ['Conv2D', 'Convolution2D', 'SeparableConv2D', 'SeparableConvolution2D', 'DepthwiseConv2D', 'AtrousConvolution2D', 'LocallyConnected2D']);
add('conv', 3, ['Conv3D', 'Convolution3D']);
add('conv', 1, ['LocallyConnected1D']);
add('convtranspose', 1, ['Conv1DTranspose', 'Convolution1DTranspose']);
add('convtranspose', 2, ['Conv2DTranspose', 'Convolution2DTranspose', 'Deconvolution2D']);
add('convtranspose', 3, ['Conv3DTranspose', 'Convolution3DTranspose', 'Deconvolution3D']);
add('pool', 1, ['MaxPooling1D', 'MaxPool1D'], { pool: 'max' });
add('pool', 2, ['MaxPooling2D', 'MaxPool2D'], { pool: 'max' });
add('pool', 3, ['MaxPooling3D', 'MaxPool3D'], { pool: 'max' });
add('pool', 1, ['AveragePooling1D', 'AvgPool1D'], { pool: 'avg' });
add('pool', 2, ['AveragePooling2D', 'AvgPool2D'], { pool: 'avg' });
add('pool', 3, ['AveragePooling3D', 'AvgPool3D'], { pool: 'avg' });
add('globalPool', 0, [
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalAveragePooling3D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalMaxPooling3D',
  'GlobalAvgPool1D',
  'GlobalAvgPool2D',
  'GlobalAvgPool3D',
  'GlobalMaxPool1D',
  'GlobalMaxPool2D',
  'GlobalMaxPool3D',
]);
add('zeroPad', 1, ['ZeroPadding1D']);
add('zeroPad', 2, ['ZeroPadding2D']);
add('zeroPad', 3, ['ZeroPadding3D']);
add('crop', 1, ['Cropping1D']);
add('crop', 2, ['Cropping2D']);
add('crop', 3, ['Cropping3D']);
add('upsample', 1, ['UpSampling1D']);
add('upsample', 2, ['UpSampling2D']);
add('upsample', 3, ['UpSampling3D']);
// elementwise merges are spatially alike: each output reads the same position of every input
add('merge', 0, ['Add', 'Subtract', 'Average', 'Maximum', 'Minimum'], { merge: 'add' });
add('merge', 0, ['Multiply'], { merge: 'mul' });
add('merge', 0, ['Concatenate'], { merge: 'concat' });
add('merge', 0, ['Merge']); // Keras 1: mode decides
add('dense', 0, ['Dense']);
add('flatten', 0, ['Flatten', 'Reshape']);
add('pointwise', 0, [
  'Activation',
  'BatchNormalization',
  'LayerNormalization',
  'UnitNormalization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  'Rescaling',
  'Normalization',
  'Masking',
  'Identity',
  // augmentation layers are the identity at inference
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomTranslation',
  'RandomContrast',
  'RandomBrightness',
]);
add('resize', 2, ['Resizing']);
add('centerCrop', 2, ['CenterCrop']);
add('normalize', 0, ['GroupNormalization']);
add('model', 0, ['Sequential', 'Model', 'Functional']);
add('lambda', 0, ['Lambda']);
add('tfOp', 0, ['TFOpLambda', 'SlicingOpLambda']);

export const KERAS_LAYERS: Readonly<Record<string, KerasLayerInfo>> = T;
