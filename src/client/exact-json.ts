/**
 * JSON parsing that keeps 64-bit integers exact. `JSON.parse` turns 9223372036854775807 into a
 * double and loses its last digits; the reviver's source-text access that would fix it is missing
 * from Node 20, and the client may depend on nothing, so this small parser reads integer literals
 * outside the safe range as BigInt and leaves the rest to JSON.parse's rules.
 */

/** A JSON value where unsafe integers are BigInt. */
export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

// A digit run this long may be an integer beyond 2^53; shorter texts are parsed by JSON.parse alone.
const LONG_INTEGER = /\d{16}/;

/** Parses `text`; integers beyond Number.MAX_SAFE_INTEGER become BigInt. */
export function parseExactJson(text: string): ExactJson {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text) as ExactJson;
  const parser = new Parser(text);
  const value = parser.value();
  parser.end();
  return value;
}

class Parser {
  #at = 0;
  constructor(private readonly text: string) {}

  value(): ExactJson {
    this.#space();
    const c = this.text[this.#at];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return this.#string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    return this.#fail();
  }

  end(): void {
    this.#space();
    if (this.#at !== this.text.length) this.#fail();
  }

  #object(): { [key: string]: ExactJson } {
    const out: { [key: string]: ExactJson } = {};
    this.#at++;
    this.#space();
    if (this.text[this.#at] === '}') {
      this.#at++;
      return out;
    }
    for (;;) {
      this.#space();
      if (this.text[this.#at] !== '"') this.#fail();
      const key = this.#string();
      this.#space();
      if (this.text[this.#at++] !== ':') this.#fail(-1);
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.#space();
      const c = this.text[this.#at++];
      if (c === '}') return out;
      if (c !== ',') this.#fail(-1);
    }
  }

  #array(): ExactJson[] {
    const out: ExactJson[] = [];
    this.#at++;
    this.#space();
    if (this.text[this.#at] === ']') {
      this.#at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.#space();
      const c = this.text[this.#at++];
      if (c === ']') return out;
      if (c !== ',') this.#fail(-1);
    }
  }

  #string(): string {
    // Find the closing quote (skipping escapes) and let JSON.parse decode the escapes.
    const start = this.#at;
    let i = start + 1;
    for (;;) {
      const c = this.text[i];
      if (c === undefined) this.#fail();
      if (c === '\\') i += 2;
      else if (c === '"') break;
      else i++;
    }
    this.#at = i + 1;
    return JSON.parse(this.text.slice(start, i + 1)) as string;
  }

  #number(): number | bigint {
    const match = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    match.lastIndex = this.#at;
    const found = match.exec(this.text);
    if (!found) return this.#fail();
    this.#at += found[0].length;
    const value = Number(found[0]);
    if (found[1] === undefined && found[2] === undefined && !Number.isSafeInteger(value)) return BigInt(found[0]);
    return value;
  }

  #space(): void {
    while (this.#at < this.text.length && ' \t\n\r'.includes(this.text[this.#at]!)) this.#at++;
  }

  #fail(offset = 0): never {
    throw new SyntaxError(`Invalid JSON at position ${this.#at + offset}`);
  }
}
