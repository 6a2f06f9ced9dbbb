/** Window arithmetic every sliding-window layer shares (convolutions, pools, locally connected layers). */

/** Extent in input pixels of a kernel of k taps spaced d apart: d*(k-1)+1. */
export function effectiveExtent(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

/** Input index (in unpadded coordinates) of the last tap of the last of `outputs` windows. */
export function lastTapIndex(outputs: number, stride: number, padBefore: number, kernel: number, dilation: number): number {
  return (outputs - 1) * stride - padBefore + dilation * (kernel - 1);
}
