// A small exact-arithmetic evaluator for the calculator tool. It is a parser for one closed
// grammar, not an interpreter: the only values are rational numbers (bigint numerator and
// denominator), so no input can reach a variable, a function, a property or any code.
//
//   expression := term (('+' | '-') term)*
//   term       := unary (('*' | '/') unary)*
//   unary      := ('+' | '-') unary | postfix
//   postfix    := primary '%'*            (x% = x / 100)
//   primary    := number | '(' expression ')'
//   number     := digits ['.' digits] | '.' digits

/** Why an expression was refused; `position` is a 0-based character offset. */
export class ArithmeticError extends Error {
  readonly reason: 'syntax' | 'division_by_zero' | 'too_complex';
  readonly position: number | undefined;

  constructor(reason: ArithmeticError['reason'], message: string, position?: number) {
    super(message);
    this.name = 'ArithmeticError';
    this.reason = reason;
    this.position = position;
  }
}

/** An exact rational: denominator > 0, in lowest terms. */
export interface Rational {
  numerator: bigint;
  denominator: bigint;
}

export const maxExpressionLength = 1000;
const maxNumberDigits = 40;
const maxDepth = 64;

type Token =
  | { kind: 'number'; value: Rational; position: number }
  | { kind: 'operator'; value: '+' | '-' | '*' | '/' | '%' | '(' | ')'; position: number };

/** Typographic operators a person (or a model) may write, mapped to the ASCII ones. */
const operatorAliases: Record<string, '+' | '-' | '*' | '/' | '%' | '(' | ')'> = {
  '+': '+',
  '-': '-',
  '\u2212': '-', // minus sign
  '*': '*',
  '\u00d7': '*', // multiplication sign
  '/': '/',
  '\u00f7': '/', // division sign
  '%': '%',
  '(': '(',
  ')': ')',
};

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function rational(numerator: bigint, denominator: bigint): Rational {
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const divisor = gcd(numerator, denominator);
  return divisor > 1n ? { numerator: numerator / divisor, denominator: denominator / divisor } : { numerator, denominator };
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < expression.length) {
    const char = expression[index]!;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      index += 1;
      continue;
    }
    const operator = operatorAliases[char];
    if (operator !== undefined) {
      tokens.push({ kind: 'operator', value: operator, position: index });
      index += 1;
      continue;
    }
    const match = /^(?:\d+(?:\.\d+)?|\.\d+)/.exec(expression.slice(index));
    if (match === null) {
      throw new ArithmeticError('syntax', `Unexpected character at position ${index}; only numbers, + - * / ( ) and % are allowed.`, index);
    }
    const text = match[0];
    const [whole = '', fraction = ''] = text.split('.');
    if (whole.length + fraction.length > maxNumberDigits) {
      throw new ArithmeticError('too_complex', `The number at position ${index} has more than ${maxNumberDigits} digits.`, index);
    }
    const value = rational(BigInt(`${whole}${fraction}` || '0'), 10n ** BigInt(fraction.length));
    tokens.push({ kind: 'number', value, position: index });
    index += text.length;
  }
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private readonly length: number;
  private index = 0;
  private depth = 0;

  constructor(tokens: Token[], length: number) {
    this.tokens = tokens;
    this.length = length;
  }

  parse(): Rational {
    if (this.tokens.length === 0) throw new ArithmeticError('syntax', 'The expression is empty.', 0);
    const value = this.expression();
    const rest = this.tokens[this.index];
    if (rest !== undefined) throw this.unexpected(rest);
    return value;
  }

  private expression(): Rational {
    this.enter();
    let value = this.term();
    for (let token = this.peekOperator('+', '-'); token !== undefined; token = this.peekOperator('+', '-')) {
      this.index += 1;
      const right = this.term();
      value = token === '+' ? add(value, right) : add(value, negate(right));
    }
    this.depth -= 1;
    return value;
  }

  private term(): Rational {
    let value = this.unary();
    for (let token = this.peekOperator('*', '/'); token !== undefined; token = this.peekOperator('*', '/')) {
      const position = this.tokens[this.index]!.position;
      this.index += 1;
      const right = this.unary();
      value = token === '*' ? multiply(value, right) : divide(value, right, position);
    }
    return value;
  }

  private unary(): Rational {
    const sign = this.peekOperator('+', '-');
    if (sign === undefined) return this.postfix();
    this.index += 1;
    this.enter();
    const operand = this.unary();
    this.depth -= 1;
    return sign === '-' ? negate(operand) : operand;
  }

  private postfix(): Rational {
    let value = this.primary();
    while (this.peekOperator('%') !== undefined) {
      this.index += 1;
      value = rational(value.numerator, value.denominator * 100n);
    }
    return value;
  }

  private primary(): Rational {
    const token = this.tokens[this.index];
    if (token === undefined) throw new ArithmeticError('syntax', 'The expression ends too early.', this.length);
    if (token.kind === 'number') {
      this.index += 1;
      return token.value;
    }
    if (token.value !== '(') throw this.unexpected(token);
    this.index += 1;
    const value = this.expression();
    const closing = this.tokens[this.index];
    if (closing === undefined) throw new ArithmeticError('syntax', `The parenthesis at position ${token.position} is never closed.`, token.position);
    if (closing.kind !== 'operator' || closing.value !== ')') throw this.unexpected(closing);
    this.index += 1;
    return value;
  }

  private peekOperator<T extends string>(...operators: T[]): T | undefined {
    const token = this.tokens[this.index];
    if (token?.kind !== 'operator') return undefined;
    return (operators as string[]).includes(token.value) ? (token.value as T) : undefined;
  }

  private enter(): void {
    this.depth += 1;
    if (this.depth > maxDepth) throw new ArithmeticError('too_complex', `The expression nests deeper than ${maxDepth} levels.`);
  }

  private unexpected(token: Token): ArithmeticError {
    const what = token.kind === 'number' ? 'number' : `'${token.value}'`;
    return new ArithmeticError('syntax', `Unexpected ${what} at position ${token.position}.`, token.position);
  }
}

function add(a: Rational, b: Rational): Rational {
  return rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator);
}

function negate(a: Rational): Rational {
  return { numerator: -a.numerator, denominator: a.denominator };
}

function multiply(a: Rational, b: Rational): Rational {
  return rational(a.numerator * b.numerator, a.denominator * b.denominator);
}

function divide(a: Rational, b: Rational, position: number): Rational {
  if (b.numerator === 0n) throw new ArithmeticError('division_by_zero', `Division by zero at position ${position}.`, position);
  return rational(a.numerator * b.denominator, a.denominator * b.numerator);
}

/** Evaluates an arithmetic expression exactly; throws ArithmeticError for anything else. */
export function evaluateArithmetic(expression: string): Rational {
  if (expression.length > maxExpressionLength) {
    throw new ArithmeticError('too_complex', `The expression is longer than ${maxExpressionLength} characters.`);
  }
  return new Parser(tokenize(expression), expression.length).parse();
}

/**
 * Formats a rational with exactly `places` decimals, rounding half away from zero (the
 * commercial rule a person checks by hand); `exact` says whether anything was rounded off.
 */
export function formatDecimal(value: Rational, places: number): { value: string; exact: boolean } {
  const negative = value.numerator < 0n;
  const scaled = (negative ? -value.numerator : value.numerator) * 10n ** BigInt(places);
  let quotient = scaled / value.denominator;
  const remainder = scaled % value.denominator;
  if (remainder * 2n >= value.denominator) quotient += 1n;
  const digits = quotient.toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places);
  const sign = negative && quotient !== 0n ? '-' : '';
  return { value: places === 0 ? `${sign}${whole}` : `${sign}${whole}.${fraction}`, exact: remainder === 0n };
}
