import type { SourceRange } from '../../graph/ir';
import { LineIndex } from '../../graph/text';

/**
 * Protocol-buffer text format with source ranges. No maintained JavaScript
 * library parses the text format and keeps positions, so this small reader
 * does; it never throws and always advances, so bad input ends in problems,
 * not in an exception or a hang.
 */

export type PtScalar =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'identifier'; value: string };

/** A field; its ranges are computed from offsets on first use (a large file has tens of thousands). */
export class PtField {
  constructor(
    private readonly lines: LineIndex,
    readonly name: string,
    /** A scalar, or a nested message. */
    readonly value: PtScalar | PtMessage,
    private readonly nameStart: number,
    private readonly nameEnd: number,
    private readonly valueStart: number,
    private readonly valueEnd: number,
  ) {}

  get nameRange(): SourceRange {
    return this.lines.range(this.nameStart, this.nameEnd);
  }

  get valueRange(): SourceRange {
    return isMessage(this.value) ? this.value.range : this.lines.range(this.valueStart, this.valueEnd);
  }

  get range(): SourceRange {
    const end = isMessage(this.value) ? this.value.end : this.valueEnd;
    return this.lines.range(this.nameStart, end);
  }
}

export class PtMessage {
  readonly kind = 'message';
  constructor(
    private readonly lines: LineIndex,
    readonly fields: PtField[],
    readonly start: number,
    public end: number,
  ) {}

  get range(): SourceRange {
    return this.lines.range(this.start, this.end);
  }
}

export interface PtProblem {
  message: string;
  range: SourceRange;
}

type Token =
  | { t: 'ident'; text: string; start: number; end: number }
  | { t: 'string'; value: string; text: string; start: number; end: number }
  | { t: 'number'; text: string; value: number; start: number; end: number }
  | { t: 'punct'; text: string; start: number; end: number }
  | { t: 'bad'; text: string; start: number; end: number }
  | { t: 'eof'; text: ''; start: number; end: number };

const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fF]?/y;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 46;
}

function isDigitOrDot(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

class Lexer {
  pos = 0;
  constructor(private readonly s: string) {}

  next(): Token {
    const s = this.s;
    const n = s.length;
    for (;;) {
      while (this.pos < n && isSpace(s.charCodeAt(this.pos))) this.pos++;
      if (s.charCodeAt(this.pos) === 35 /* # */) {
        while (this.pos < n && s.charCodeAt(this.pos) !== 10 && s.charCodeAt(this.pos) !== 13) this.pos++;
        continue;
      }
      break;
    }
    const start = this.pos;
    if (start >= n) return { t: 'eof', text: '', start, end: start };
    const c = s.charCodeAt(start);
    if (c === 34 || c === 39) {
      let value = '';
      let i = start + 1;
      let closed = false;
      while (i < n) {
        const ch = s.charCodeAt(i);
        if (ch === 92 /* \ */ && i + 1 < n) {
          const e = s[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (ch === c) {
          closed = true;
          i++;
          break;
        }
        if (ch === 10 || ch === 13) break;
        value += s[i];
        i++;
      }
      this.pos = i;
      if (!closed) return { t: 'bad', text: 'unterminated string', start, end: i };
      return { t: 'string', value, text: s.slice(start, i), start, end: i };
    }
    if (isIdentStart(c)) {
      let i = start + 1;
      while (i < n && isIdentPart(s.charCodeAt(i))) i++;
      this.pos = i;
      return { t: 'ident', text: s.slice(start, i), start, end: i };
    }
    if (isDigitOrDot(c) || ((c === 43 || c === 45) && isDigitOrDot(s.charCodeAt(start + 1)))) {
      NUMBER.lastIndex = start;
      const m = NUMBER.exec(s);
      if (m) {
        this.pos = start + m[0].length;
        const text = m[0].replace(/[fF]$/, '');
        return { t: 'number', text, value: Number(text), start, end: this.pos };
      }
    }
    const ch = s[start]!;
    this.pos = start + 1;
    if ('{}<>:[],;'.includes(ch)) return { t: 'punct', text: ch, start, end: start + 1 };
    return { t: 'bad', text: ch, start, end: start + 1 };
  }
}

export interface PtDocument {
  root: PtMessage;
  problems: PtProblem[];
  lines: LineIndex;
}

export function parsePrototext(text: string): PtDocument {
  const lines = new LineIndex(text);
  const lexer = new Lexer(text);
  const problems: PtProblem[] = [];
  let tok: Token = lexer.next();
  const cur = (): Token => tok;
  const advance = () => {
    tok = lexer.next();
  };
  const range = (a: number, b: number) => lines.range(a, b);
  const problem = (message: string, a: number, b: number) => problems.push({ message, range: range(a, b) });

  /** Skips to the end of the current line or a closing brace, to resume after an error. */
  const recover = (startLine: number) => {
    while (cur().t !== 'eof') {
      if (cur().t === 'punct' && (cur().text === '}' || cur().text === '>')) return;
      if (lines.positionAt(cur().start).line !== startLine) return;
      advance();
    }
  };

  const parseScalar = (): { value: PtScalar; start: number; end: number } | null => {
    const t = cur();
    if (t.t === 'string') {
      let value = t.value;
      let end = t.end;
      advance();
      // Adjacent string literals concatenate.
      while (cur().t === 'string') {
        const s = cur() as Extract<Token, { t: 'string' }>;
        value += s.value;
        end = s.end;
        advance();
      }
      return { value: { kind: 'string', value }, start: t.start, end };
    }
    if (t.t === 'number') {
      advance();
      return { value: { kind: 'number', value: t.value, text: t.text }, start: t.start, end: t.end };
    }
    if (t.t === 'ident') {
      advance();
      const lower = t.text.toLowerCase();
      if (lower === 'inf' || lower === 'infinity' || lower === 'nan') {
        return { value: { kind: 'number', value: lower === 'nan' ? NaN : Infinity, text: t.text }, start: t.start, end: t.end };
      }
      return { value: { kind: 'identifier', value: t.text }, start: t.start, end: t.end };
    }
    return null;
  };

  const parseMessage = (start: number, close: string | null, depth: number): PtMessage => {
    const fields: PtField[] = [];
    let end = start;
    for (;;) {
      if (cur().t === 'eof') {
        if (close) problem(`Missing '${close}' before the end of the file.`, start, start + 1);
        end = cur().start;
        break;
      }
      if (cur().t === 'punct' && (cur().text === '}' || cur().text === '>')) {
        if (close === cur().text) {
          end = cur().end;
          advance();
          break;
        }
        problem(`Unexpected '${cur().text}'.`, cur().start, cur().end);
        advance();
        continue;
      }
      if (cur().t === 'punct' && (cur().text === ',' || cur().text === ';')) {
        advance();
        continue;
      }
      if (cur().t !== 'ident') {
        const line = lines.positionAt(cur().start).line;
        problem(
          cur().t === 'bad' ? `Cannot read ${cur().text === 'unterminated string' ? 'an unterminated string' : `'${cur().text}'`} here.` : 'Expected a field name.',
          cur().start,
          cur().end,
        );
        advance();
        recover(line);
        continue;
      }
      const nameTok = cur() as Extract<Token, { t: 'ident' }>;
      const line = lines.positionAt(nameTok.start).line;
      advance();
      let colon = false;
      if (cur().t === 'punct' && cur().text === ':') {
        colon = true;
        advance();
      }
      if (cur().t === 'punct' && (cur().text === '{' || cur().text === '<')) {
        const open = cur() as Extract<Token, { t: 'punct' }>;
        const closer = open.text === '{' ? '}' : '>';
        advance();
        if (depth > 64) {
          problem('Messages are nested too deeply.', open.start, open.end);
          return new PtMessage(lines, fields, start, open.end);
        }
        const msg = parseMessage(open.start, closer, depth + 1);
        fields.push(new PtField(lines, nameTok.text, msg, nameTok.start, nameTok.end, msg.start, msg.end));
        end = msg.end;
        continue;
      }
      if (!colon) {
        problem(`Expected ':' or '{' after "${nameTok.text}".`, nameTok.start, nameTok.end);
        recover(line);
        continue;
      }
      if (cur().t === 'punct' && cur().text === '[') {
        // List syntax: name: [a, b, c] is the field repeated.
        advance();
        while (!(cur().t === 'punct' && cur().text === ']') && cur().t !== 'eof') {
          if (cur().t === 'punct' && cur().text === ',') {
            advance();
            continue;
          }
          const sc = parseScalar();
          if (!sc) {
            problem(`Expected a value in the list of "${nameTok.text}".`, cur().start, cur().end);
            recover(line);
            break;
          }
          fields.push(new PtField(lines, nameTok.text, sc.value, nameTok.start, nameTok.end, sc.start, sc.end));
        }
        if (cur().t === 'punct' && cur().text === ']') advance();
        continue;
      }
      const sc = parseScalar();
      if (!sc) {
        problem(`Expected a value after "${nameTok.text}:".`, nameTok.start, Math.max(nameTok.end, cur().end));
        recover(line);
        continue;
      }
      fields.push(new PtField(lines, nameTok.text, sc.value, nameTok.start, nameTok.end, sc.start, sc.end));
      end = sc.end;
    }
    return new PtMessage(lines, fields, start, end);
  };

  const root = parseMessage(0, null, 0);
  root.end = text.length;
  return { root, problems, lines };
}

/** Typed access to a message's fields. */
export class Pt {
  constructor(readonly msg: PtMessage) {}

  all(name: string): PtField[] {
    return this.msg.fields.filter((f) => f.name === name);
  }

  /** The last occurrence wins for a singular field, as protobuf merges. */
  field(name: string): PtField | undefined {
    const list = this.all(name);
    return list[list.length - 1];
  }

  message(name: string): Pt | undefined {
    const f = this.field(name);
    return f && isMessage(f.value) ? new Pt(f.value) : undefined;
  }

  messages(name: string): Pt[] {
    return this.all(name)
      .map((f) => f.value)
      .filter(isMessage)
      .map((m) => new Pt(m));
  }

  string(name: string): string | undefined {
    const f = this.field(name);
    if (!f || isMessage(f.value)) return undefined;
    return f.value.kind === 'number' ? f.value.text : String(f.value.value);
  }

  strings(name: string): string[] {
    return this.all(name)
      .map((f) => f.value)
      .filter((v): v is PtScalar => !isMessage(v))
      .map((v) => (v.kind === 'number' ? v.text : String(v.value)));
  }

  number(name: string): number | undefined {
    const f = this.field(name);
    if (!f || isMessage(f.value) || f.value.kind !== 'number') return undefined;
    return f.value.value;
  }

  numbers(name: string): number[] {
    return this.all(name)
      .map((f) => f.value)
      .filter((v): v is Extract<PtScalar, { kind: 'number' }> => !isMessage(v) && v.kind === 'number')
      .map((v) => v.value);
  }

  bool(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    return v === 'true' || v === '1' || v === 'True';
  }

  range(name: string): SourceRange | undefined {
    return this.field(name)?.range;
  }
}

export function isMessage(v: PtScalar | PtMessage): v is PtMessage {
  return v instanceof PtMessage;
}
