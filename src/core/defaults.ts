/**
 * Defaults the command line, the editor's settings (package.json) and the
 * tests share (docs/design-notes.md).
 */

/** Input size per spatial axis when neither the request, the file nor a setting states one. */
export const DEFAULT_INPUT_SIZE = 224;

/** RFL002 fires when the border ring gets less than this share of the best-served pixel's paths. */
export const DEFAULT_EDGE_RATIO_THRESHOLD = 0.25;
