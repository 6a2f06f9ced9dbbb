/**
 * One progress line on stderr while `rflens analyze` works through many
 * files: only on a terminal, rewritten in place (carriage return, erase to
 * the end of the line), cut to the terminal's width so it never wraps, and
 * erased before any other output and at the end.
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** The progress line is shown from this many files on. */
export const PROGRESS_MIN_FILES = 2;

const ERASE = '\r\x1b[K';

export class Progress {
  private shown = false;
  readonly enabled: boolean;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
  ) {
    this.enabled = stream.isTTY === true && total >= PROGRESS_MIN_FILES;
  }

  /** Shows "rflens: 3/120 models/yolov4.cfg" while the 3rd file is analysed. */
  update(index: number, label: string): void {
    if (!this.enabled) return;
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80;
    const width = Math.max(20, columns - 1);
    const head = `rflens: ${index}/${this.total} `;
    let text = head + label;
    if (text.length > width) text = `${head}…${label.slice(label.length - (width - head.length - 1))}`;
    this.stream.write(ERASE + text);
    this.shown = true;
  }

  /** Erases the line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(ERASE);
    this.shown = false;
  }
}
