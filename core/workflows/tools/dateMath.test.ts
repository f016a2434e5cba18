import { describe, expect, it } from 'vitest';
import { civilFromDays, createDateMathTool, daysFromCivil } from './dateMath.ts';
import type { DateMathInput } from './dateMath.ts';
import { contextFor, failure } from './testing/helpers.ts';

const dateMath = createDateMathTool();
const run = (input: DateMathInput) => dateMath.call(input, contextFor());

describe('date_math', () => {
  it.each([
    [{ date: '2024-01-31', addMonths: 1 }, '2024-02-29'], // leap year: clamped to Feb 29
    [{ date: '2023-01-31', addMonths: 1 }, '2023-02-28'],
    [{ date: '2024-03-31', addMonths: -1 }, '2024-02-29'],
    [{ date: '2024-05-31', addMonths: 1 }, '2024-06-30'],
    [{ date: '2024-01-31', addMonths: 2 }, '2024-03-31'], // one step of 2 months, not 1 + 1
    [{ date: '2024-02-29', addYears: 1 }, '2025-02-28'],
    [{ date: '2024-02-29', addYears: 4 }, '2028-02-29'],
    [{ date: '2023-12-15', addMonths: 1 }, '2024-01-15'],
    [{ date: '2024-01-15', addMonths: -13 }, '2022-12-15'],
    [{ date: '2024-01-31', addYears: 1, addMonths: 1 }, '2025-02-28'], // years and months together, then clamp
    [{ date: '2024-01-31', addMonths: 1, addDays: 1 }, '2024-03-01'], // clamp, then days
    [{ date: '2024-02-28', addDays: 1 }, '2024-02-29'],
    [{ date: '2023-02-28', addDays: 1 }, '2023-03-01'],
    [{ date: '1900-02-28', addDays: 1 }, '1900-03-01'], // 1900 is not a leap year
    [{ date: '2000-02-28', addDays: 1 }, '2000-02-29'], // 2000 is
    [{ date: '2024-12-31', addDays: 1 }, '2025-01-01'],
    [{ date: '2024-03-10', addDays: -10 }, '2024-02-29'],
    [{ date: '0001-01-01' }, '0001-01-01'],
  ])('%j gives %s', async (input, expected) => {
    expect((await run(input)).date).toBe(expected);
  });

  it('gives the weekday', async () => {
    expect((await run({ date: '2024-01-01' })).dayOfWeek).toBe('Monday');
    expect((await run({ date: '1970-01-01' })).dayOfWeek).toBe('Thursday');
    expect((await run({ date: '1969-12-31' })).dayOfWeek).toBe('Wednesday');
    expect((await run({ date: '2000-02-29' })).dayOfWeek).toBe('Tuesday');
  });

  it('counts days from the computed date to diffTo, across leap days, and negative backwards', async () => {
    expect((await run({ date: '2024-01-01', diffTo: '2025-01-01' })).diffDays).toBe(366);
    expect((await run({ date: '2023-01-01', diffTo: '2024-01-01' })).diffDays).toBe(365);
    expect((await run({ date: '2024-03-01', diffTo: '2024-02-28' })).diffDays).toBe(-2);
    expect((await run({ date: '2024-01-31', addMonths: 1, diffTo: '2024-03-01' })).diffDays).toBe(1);
    expect((await run({ date: '2024-06-30', diffTo: '2024-06-30' })).diffDays).toBe(0);
    expect((await run({ date: '2024-06-30' })).diffDays).toBeUndefined();
  });

  it('agrees with Date.UTC on every day from 1600 to 2400, both ways', () => {
    const mismatches: number[] = [];
    for (let days = daysFromCivil({ year: 1600, month: 1, day: 1 }); days <= daysFromCivil({ year: 2400, month: 12, day: 31 }); days += 1) {
      const date = new Date(days * 86_400_000);
      const civil = civilFromDays(days);
      const agrees = civil.year === date.getUTCFullYear() && civil.month === date.getUTCMonth() + 1 && civil.day === date.getUTCDate();
      if (!agrees || daysFromCivil(civil) !== days) mismatches.push(days);
    }
    expect(mismatches).toEqual([]);
  });

  it.each([
    { date: '2023-02-29' },
    { date: '2024-13-01' },
    { date: '2024-1-1' },
    { date: '2024-01-01T00:00:00Z' },
    { date: '0000-01-01' },
    { date: '2024-01-01', addDays: 1.5 },
    { date: '2024-01-01', diffTo: 'tomorrow' },
    { date: '2024-01-01', addWeeks: 1 },
  ])('rejects %j', async (input) => {
    expect(dateMath.input.safeParse(input).success).toBe(false);
    expect((await failure(dateMath.call(input as DateMathInput, contextFor()))).code).toBe('ERR_TOOL_INPUT_INVALID');
  });

  it('refuses results outside years 0001–9999 with a typed error', async () => {
    for (const input of [{ date: '9999-12-31', addDays: 1 }, { date: '0001-01-01', addMonths: -1 }, { date: '2024-01-01', addYears: 9000 }]) {
      const error = await failure(run(input));
      expect(error.code).toBe('ERR_TOOL_INPUT_INVALID');
      expect(error.details).toMatchObject({ reason: 'out_of_range' });
    }
  });
});
