import { z } from 'zod';
import type { Tool } from '../tools.ts';
import { parseToolInput, toolError } from './toolErrors.ts';

// Calendar dates only (no time, no zone), in the proleptic Gregorian calendar, computed on
// integer day numbers (H. Hinnant's civil-date algorithms) — so no time zone, DST or Date
// two-digit-year quirk can shift a result. Node 24 has no Temporal without a flag; date-fns works
// on local-time Date objects and would add exactly the zone questions this avoids.

const name = 'date_math';
const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

interface CivilDate {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
}

/** Days since 1970-01-01 for a civil date. */
export function daysFromCivil({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The civil date of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): CivilDate {
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function parseIsoDate(text: string): CivilDate {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

function formatIsoDate({ year, month, day }: CivilDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const IsoDateSchema = z.iso
  .date()
  .refine((text) => !text.startsWith('0000'), { message: 'Years run from 0001 to 9999.' })
  .describe('A calendar date, YYYY-MM-DD.');

export const DateMathInputSchema = z.strictObject({
  date: IsoDateSchema,
  addYears: z.int().min(-9999).max(9999).optional().describe('Years to add (negative to subtract); added with addMonths, then the day is clamped to the month end.'),
  addMonths: z.int().min(-120_000).max(120_000).optional().describe('Months to add (negative to subtract); Jan 31 + 1 month is the last day of February.'),
  addDays: z.int().min(-3_660_000).max(3_660_000).optional().describe('Days to add after years and months.'),
  diffTo: IsoDateSchema.optional().describe('Another date: diffDays counts the days from the computed date to it.'),
});
export type DateMathInput = z.infer<typeof DateMathInputSchema>;

export const DateMathOutputSchema = z.object({
  /** `date` with years and months added (day clamped to the month's end), then days. */
  date: z.iso.date(),
  dayOfWeek: z.enum(weekdays),
  /** Days from `date` (the computed one) to `diffTo`; negative if diffTo is earlier. */
  diffDays: z.int().optional(),
});
export type DateMathOutput = z.infer<typeof DateMathOutputSchema>;

const minDay = daysFromCivil({ year: 1, month: 1, day: 1 });
const maxDay = daysFromCivil({ year: 9999, month: 12, day: 31 });

/**
 * Adds years and months together, then clamps the day to the target month's length (Jan 31 +
 * 1 month = Feb 28, or 29), then adds days — the order Temporal's PlainDate.add uses.
 */
export function addToDate(date: CivilDate, years: number, months: number, days: number): number {
  const monthIndex = date.year * 12 + (date.month - 1) + years * 12 + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  if (year < 1 || year > 9999) return Number.NaN;
  const day = Math.min(date.day, daysInMonth(year, month));
  return daysFromCivil({ year, month, day }) + days;
}

/** Business date arithmetic on ISO calendar dates: add years/months/days, weekday, difference in days. */
export function createDateMathTool(): Tool<DateMathInput, DateMathOutput> {
  return {
    name,
    description: 'Adds years, months (clamped to the month end) and days to a YYYY-MM-DD date; gives its weekday and the days to another date.',
    input: DateMathInputSchema,
    output: DateMathOutputSchema,
    sideEffects: false,
    async call(input) {
      const args = parseToolInput(name, DateMathInputSchema, input);
      const dayNumber = addToDate(parseIsoDate(args.date), args.addYears ?? 0, args.addMonths ?? 0, args.addDays ?? 0);
      if (!(dayNumber >= minDay && dayNumber <= maxDay)) {
        throw toolError('ERR_TOOL_INPUT_INVALID', 'The resulting date is outside 0001-01-01 to 9999-12-31.', {
          tool: name,
          reason: 'out_of_range',
          outcome: 'not_applied',
        });
      }
      // 1970-01-01 (day 0) was a Thursday, index 3 from Monday.
      const dayOfWeek = weekdays[(((dayNumber + 3) % 7) + 7) % 7]!;
      const output: DateMathOutput = { date: formatIsoDate(civilFromDays(dayNumber)), dayOfWeek };
      if (args.diffTo !== undefined) output.diffDays = daysFromCivil(parseIsoDate(args.diffTo)) - dayNumber;
      return output;
    },
  };
}
