/**
 * ONNX operator tables: which operators are spatially the identity, which
 * combine several data inputs, which are convolutions in disguise. Data, not
 * code, as in the other readers.
 */

/** Element-wise operators of one data input (and constants): spatially the identity. */
export const POINTWISE_OPS = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BatchNormalization', 'BitShift', 'Cast', 'CastLike', 'Ceil',
  'Celu', 'Clip', 'Cos', 'Cosh', 'DequantizeLinear', 'Dropout', 'DynamicQuantizeLinear', 'Elu', 'Erf', 'Exp', 'Floor',
  'FastGelu', 'Gelu', 'HardSigmoid', 'HardSwish', 'Identity', 'IsInf', 'IsNaN', 'LeakyRelu', 'Log', 'LRN',
  'Mish', 'Neg', 'Not', 'PRelu', 'QuantizeLinear', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink', 'Sigmoid', 'Sign',
  'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu', 'Affine', 'ScaledTanh',
  'ImageScaler', 'Scale',
]);

/** Element-wise operators that may read several data inputs; their paths add ('add') or multiply ('mul'). */
export const MERGE_OPS: Record<string, 'add' | 'mul'> = {
  Add: 'add',
  Sub: 'add',
  Sum: 'add',
  Mean: 'add',
  Max: 'add',
  Min: 'add',
  Where: 'add',
  And: 'add',
  Or: 'add',
  Xor: 'add',
  Equal: 'add',
  Greater: 'add',
  GreaterOrEqual: 'add',
  Less: 'add',
  LessOrEqual: 'add',
  Mod: 'add',
  Mul: 'mul',
  Div: 'mul',
  Pow: 'mul',
};

/** Convolutions: which input is the weight (its dims give the kernel when kernel_shape is absent). */
export const CONV_OPS: Record<string, { weight: number }> = {
  Conv: { weight: 1 },
  ConvInteger: { weight: 1 },
  DeformConv: { weight: 1 },
  QLinearConv: { weight: 3 },
  FusedConv: { weight: 1 },
  NhwcConv: { weight: 1 },
};

export const POOL_OPS: Record<string, 'max' | 'avg'> = {
  MaxPool: 'max',
  AveragePool: 'avg',
  LpPool: 'avg',
  QLinearAveragePool: 'avg',
};

export const GLOBAL_POOL_OPS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'QLinearGlobalAveragePool']);

export const REDUCE_OPS = new Set([
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin',
]);

/** Normalisations over statistics of some axes; 'axes' gives which when the operator has no attribute for it. */
export const STAT_NORM_OPS = new Set(['InstanceNormalization', 'GroupNormalization', 'MeanVarianceNormalization', 'LayerNormalization', 'LpNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization']);

export const SOFTMAX_OPS = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/** Operators whose result never depends on the data values (only on shapes). */
export const SHAPE_ONLY_OPS = new Set(['Shape', 'Size', 'ConstantOfShape', 'EyeLike']);

/** ONNX Pad modes to the IR's padding modes. */
export const PAD_MODE: Record<string, 'zeros' | 'reflect' | 'replicate' | 'circular'> = {
  constant: 'zeros',
  reflect: 'reflect',
  edge: 'replicate',
  wrap: 'circular',
};
