import { z } from 'zod';
import type { Tool } from '../tools.ts';
import { ArithmeticError, evaluateArithmetic, formatDecimal, maxExpressionLength } from './arithmetic.ts';
import { parseToolInput, toolError } from './toolErrors.ts';

const name = 'calculator';
const defaultPlaces = 10;

function check(expression: string): ArithmeticError | undefined {
  try {
    evaluateArithmetic(expression);
    return undefined;
  } catch (error) {
    if (error instanceof ArithmeticError) return error;
    throw error;
  }
}

const CalculatorArgumentsSchema = z.strictObject({
  expression: z
    .string()
    .min(1)
    .max(maxExpressionLength)
    .describe('Arithmetic only: numbers, + - * / (or × ÷ −), parentheses, decimals, unary minus, and postfix % (x% = x/100).'),
  places: z.int().min(0).max(20).optional().describe(`Decimal places in the result (default ${defaultPlaces}).`),
});

/** The arguments; the expression is evaluated here too, so a bad one fails validation with a path. */
export const CalculatorInputSchema = CalculatorArgumentsSchema.superRefine((input, context) => {
  const error = check(input.expression);
  if (error !== undefined) context.addIssue({ code: 'custom', path: ['expression'], message: error.message });
});
export type CalculatorInput = z.infer<typeof CalculatorInputSchema>;

export const CalculatorOutputSchema = z.object({
  /** The result as a decimal string with exactly `places` decimals. */
  value: z.string(),
  /** False when digits beyond `places` were rounded off (half away from zero). */
  exact: z.boolean(),
});
export type CalculatorOutput = z.infer<typeof CalculatorOutputSchema>;

/**
 * Exact decimal arithmetic for workflows (interest, fees, ratios): evaluates over rationals and
 * rounds once, at the end, so 0.1 + 0.2 is 0.3.
 */
export function createCalculatorTool(): Tool<CalculatorInput, CalculatorOutput> {
  return {
    name,
    description: 'Evaluates an arithmetic expression exactly and returns a decimal string. No variables or functions.',
    input: CalculatorInputSchema,
    output: CalculatorOutputSchema,
    sideEffects: false,
    async call(input) {
      const { expression, places = defaultPlaces } = parseToolInput(name, CalculatorArgumentsSchema, input);
      try {
        return formatDecimal(evaluateArithmetic(expression), places);
      } catch (error) {
        if (!(error instanceof ArithmeticError)) throw error;
        const details = error.position === undefined
          ? { tool: name, reason: error.reason, outcome: 'not_applied' as const }
          : { tool: name, reason: error.reason, outcome: 'not_applied' as const, position: error.position };
        throw toolError('ERR_TOOL_INPUT_INVALID', error.message, details);
      }
    },
  };
}
