import { describe, expect, it } from 'vitest';
import { createCalculatorTool } from './calculator.ts';
import { contextFor, failure } from './testing/helpers.ts';

const calculator = createCalculatorTool();
const calculate = (expression: string, places?: number) => calculator.call(places === undefined ? { expression } : { expression, places }, contextFor());

describe('calculator', () => {
  it.each([
    ['0.1 + 0.2', 2, '0.30', true],
    ['1 + 2 * 3', 0, '7', true],
    ['(1 + 2) * 3', 0, '9', true],
    ['10 / 4', 2, '2.50', true],
    ['-5 + 2', 0, '-3', true],
    ['-(2 - 5) * -2', 0, '-6', true],
    ['2 - -3', 0, '5', true],
    ['.5 * 4', 1, '2.0', true],
    ['1000 * 3.5%', 2, '35.00', true],
    ['50%%', 4, '0.0050', true],
    ['12 × 3 ÷ 4 − 1', 0, '8', true],
    ['1 / 3', 4, '0.3333', false],
    ['2 / 3', 4, '0.6667', false],
    ['-2 / 3', 4, '-0.6667', false],
    ['0.125', 2, '0.13', false], // half away from zero
    ['-0.125', 2, '-0.13', false],
    ['-0.001', 2, '0.00', false], // no negative zero
    ['99999999999999999999 * 99999999999999999999', 0, '9999999999999999999800000000000000000001', true],
    ['100000 * (1 + 4.5% / 12) * (1 + 4.5% / 12)', 6, '100751.406250', true], // 1.00375² = 1.0075140625,
  ])('%s to %i places is %s', async (expression, places, value, exact) => {
    expect(await calculate(expression, places)).toEqual({ value, exact });
  });

  it('defaults to 10 places', async () => {
    expect(await calculate('1/8')).toEqual({ value: '0.1250000000', exact: true });
  });

  it.each([
    ['process.exit()', 0],
    ['constructor', 0],
    ['1;2', 1],
    ['2 + x', 4],
    ['Math.PI', 0],
    ['1e5', 1],
    ['2 ** 3', 3],
    ['[1]', 0],
    ['"1"', 0],
    ['1,000', 1],
  ])('rejects %j as not arithmetic (position %i)', async (expression, position) => {
    const error = await failure(calculate(expression));
    expect(error.code).toBe('ERR_TOOL_INPUT_INVALID');
    expect(error.details).toMatchObject({ tool: 'calculator', reason: 'syntax', position });
    expect(calculator.input.safeParse({ expression }).success).toBe(false);
  });

  it.each(['', '1 +', '(1 + 2', '1 + 2)', '2 (3)', '5 % 3', '*2', '()'])('rejects the malformed %j', async (expression) => {
    const error = await failure(calculate(expression));
    expect(error.code).toBe('ERR_TOOL_INPUT_INVALID');
    expect(calculator.input.safeParse({ expression }).success).toBe(false);
  });

  it('reports division by zero, also by a zero-valued expression', async () => {
    for (const expression of ['1 / 0', '1 / (2 - 2)', '5 / 0%']) {
      const error = await failure(calculate(expression));
      expect(error.code).toBe('ERR_TOOL_INPUT_INVALID');
      expect(error.details).toMatchObject({ reason: 'division_by_zero' });
      expect(error.message).toMatch(/division by zero/i);
    }
  });

  it('bounds length, digits and nesting instead of exhausting the stack', async () => {
    expect((await failure(calculate('1+'.repeat(600) + '1'))).code).toBe('ERR_TOOL_INPUT_INVALID');
    expect((await failure(calculate('1'.repeat(41)))).details).toMatchObject({ reason: 'too_complex' });
    expect((await failure(calculate('('.repeat(100) + '1' + ')'.repeat(100)))).details).toMatchObject({ reason: 'too_complex' });
    expect((await failure(calculate('-'.repeat(100) + '1'))).details).toMatchObject({ reason: 'too_complex' });
  });

  it('refuses unknown arguments and out-of-range places', () => {
    expect(calculator.input.safeParse({ expression: '1', scope: {} }).success).toBe(false);
    expect(calculator.input.safeParse({ expression: '1', places: 21 }).success).toBe(false);
    expect(calculator.input.safeParse({ expression: '1', places: 1.5 }).success).toBe(false);
  });

  it('never echoes the expression in an error message', async () => {
    const error = await failure(calculate('1 + secretvalue'));
    expect(error.message).not.toContain('secretvalue');
  });
});
