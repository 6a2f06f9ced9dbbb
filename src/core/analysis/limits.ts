/**
 * Every limit the analysis enforces, in one place. Each keeps an absurd
 * network (a kernel of 30000, a 100000-pixel axis, a 28000-wide pool after a
 * stride that leaves holes) from running for minutes: past a limit the
 * analysis refuses with a reason the user reads, it never hangs. The figures
 * are sized so every corpus network stays far inside them (see
 * docs/design-notes.md, "Limits").
 */

/** Largest size per axis (input, any layer's output, a kernel's extent). */
export const MAX_AXIS = 1 << 15;

/** Maps (and the metrics and findings built on them) are computed up to this many input pixels. */
export const MAX_MAP_PIXELS = 1 << 22;

/**
 * Work limits in the steps of workload() (geometry.ts): YOLOv4 at 608x608
 * needs 1.1e5 steps for its fields and 9e6 for a map, Dilation10 at
 * 1396x1396 1.8e5 and 6.7e7.
 */
export const FIELD_WORK_LIMIT = 5e6;
/**
 * VGG-16 at 2048x2048 is 1.2e8 steps and analyses in about 2 s on a 2-core
 * VM, so the limit means seconds, not minutes.
 */
export const MAP_WORK_LIMIT = 5e8;
/** RFL002's search of the layer where edges fall behind computes single-layer maps within this much work. */
export const SEARCH_WORK = 3e8;

/**
 * Units on the unbounded axis the fields are measured on, summed over every
 * layer and axis. YOLOv4 at 608x608 needs about 1e5; a chain of twenty
 * stride-2 convolutions on a 16-pixel input needs 4e7 (its fields reach
 * 2^20 pixels out), which would take minutes to follow.
 */
export const MAX_VIRTUAL_UNITS = 1 << 22;

/** Intervals (field pieces) one layer may hold; a fragmented field beyond this is refused. */
export const MAX_INTERVALS = 2_000_000;
/**
 * Intervals held for the whole network (8 bytes each). A deep plain chain
 * holds about depth^2 of them on the unbounded axis, since every layer
 * computes the units that the centre units of all later layers read: 1000
 * layers of 3x3 convolutions hold 2e6.
 */
export const MAX_HELD_INTERVALS = 16_000_000;
/** Intervals gathered before merging, over one whole propagation: the work done. */
export const MAX_GATHERED_INTERVALS = 64_000_000;

/** Longest period (units or pixels per axis) the ripple is measured over; longer ones report no ripple. */
export const MAX_PERIOD = 1 << 16;
/** Cells of one period's coverage grid when the field is a union of several terms. */
export const MAX_FOLD_CELLS = 1 << 22;
/** Field terms beyond which the ripple is not measured (inclusion-exclusion is exponential in them). */
export const MAX_RIPPLE_TERMS = 10;

/** Thrown by a propagation past one of these limits; the model handle turns it into a refusal. */
export class WorkLimitError extends Error {}
