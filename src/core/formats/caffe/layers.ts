/**
 * Caffe layer types and what they are spatially, as data. V1 `layers` use
 * enum names; they map to the V2 type strings first.
 */

export type CaffeKind =
  | 'input'
  | 'conv'
  | 'deconv'
  | 'pool'
  | 'lrn'
  | 'dense'
  | 'flatten'
  | 'pointwise'
  | 'eltwise'
  | 'concat'
  | 'crop'
  | 'loss'
  | 'constant'
  | 'interp'
  | 'scaleOrBias'
  | 'axpy'
  | 'normalize'
  | 'argmax';

export const CAFFE_V1_TYPES: Record<string, string> = {
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DATA: 'Data',
  DECONVOLUTION: 'Deconvolution',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IMAGE_DATA: 'ImageData',
  IM2COL: 'Im2col',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

export const CAFFE_TYPES: Record<string, CaffeKind> = {
  Input: 'input',
  Data: 'input',
  ImageData: 'input',
  WindowData: 'input',
  MemoryData: 'input',
  HDF5Data: 'input',
  DummyData: 'input',
  AnnotatedData: 'input',
  VideoData: 'input',
  Convolution: 'conv',
  ConvolutionDepthwise: 'conv',
  DepthwiseConvolution: 'conv',
  Deconvolution: 'deconv',
  Pooling: 'pool',
  LRN: 'lrn',
  InnerProduct: 'dense',
  Flatten: 'flatten',
  Reshape: 'flatten',
  ReLU: 'pointwise',
  ReLU6: 'pointwise',
  PReLU: 'pointwise',
  ELU: 'pointwise',
  Sigmoid: 'pointwise',
  TanH: 'pointwise',
  Swish: 'pointwise',
  Clip: 'pointwise',
  BatchNorm: 'pointwise',
  Dropout: 'pointwise',
  Softmax: 'pointwise',
  Power: 'pointwise',
  AbsVal: 'pointwise',
  BNLL: 'pointwise',
  Exp: 'pointwise',
  Log: 'pointwise',
  Threshold: 'pointwise',
  MVN: 'normalize',
  Split: 'pointwise',
  Slice: 'pointwise',
  Silence: 'pointwise',
  Normalize: 'normalize',
  Permute: 'pointwise',
  ArgMax: 'argmax',
  ShuffleChannel: 'pointwise',
  Im2col: 'pointwise',
  HDF5Output: 'pointwise',
  Scale: 'scaleOrBias',
  Bias: 'scaleOrBias',
  Eltwise: 'eltwise',
  Axpy: 'axpy',
  Concat: 'concat',
  Crop: 'crop',
  SoftmaxWithLoss: 'loss',
  EuclideanLoss: 'loss',
  SigmoidCrossEntropyLoss: 'loss',
  InfogainLoss: 'loss',
  HingeLoss: 'loss',
  ContrastiveLoss: 'loss',
  MultinomialLogisticLoss: 'loss',
  Accuracy: 'loss',
  PriorBox: 'constant',
  DetectionOutput: 'concat',
  Interp: 'interp',
};

/** Layer types that split one blob along an axis: spatially the identity only along the channel axis. */
export const CAFFE_CHANNEL_AXIS_PARAMS: Record<string, string> = {
  Slice: 'slice_param',
  Concat: 'concat_param',
};
