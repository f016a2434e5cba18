import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CoreError } from '../../base/index.ts';
import { tightenNumberRules, toGrammarSchema, zodToJsonSchema } from './grammarSchema.ts';

const fromZod = (schema: z.ZodType) => toGrammarSchema(zodToJsonSchema(schema), 'm');

describe('toGrammarSchema', () => {
  it('keeps what the grammar can express and drops what only zod can check', () => {
    const schema = z.object({
      name: z.string().min(1).max(20).regex(/^[a-z]+$/),
      amount: z.number().min(0),
      when: z.iso.date(),
      tags: z.array(z.string()).max(3),
    });
    expect(fromZod(schema)).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 20 },
        amount: { const: 'strongroom-grammar:non-negative-number' },
        when: { type: 'string', format: 'date' },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      },
      additionalProperties: false,
    });
  });

  it('turns a small closed integer range into an enum, so the bound holds while sampling', () => {
    expect(fromZod(z.number().int().min(1).max(4))).toEqual({ enum: [1, 2, 3, 4] });
    expect(fromZod(z.number().int())).toEqual({ type: 'integer' });
    expect(fromZod(z.number().int().min(-5).max(100_000))).toEqual({ type: 'integer' });
  });

  it('marks non-negative numbers and integers, and positive integers, for rules without a sign', () => {
    expect(fromZod(z.number().min(0))).toEqual({ const: 'strongroom-grammar:non-negative-number' });
    expect(fromZod(z.number().positive())).toEqual({ const: 'strongroom-grammar:non-negative-number' });
    expect(fromZod(z.number().min(-1))).toEqual({ type: 'number' });
    expect(fromZod(z.number().int().min(0).max(100_000))).toEqual({ const: 'strongroom-grammar:non-negative-integer' });
    expect(fromZod(z.number().int().min(1))).toEqual({ const: 'strongroom-grammar:positive-integer' });
    expect(fromZod(z.number().int().positive())).toEqual({ const: 'strongroom-grammar:positive-integer' });
    expect(fromZod(z.number().min(0).nullable())).toEqual({ oneOf: [{ const: 'strongroom-grammar:non-negative-number' }, { type: 'null' }] });
  });

  it('maps unions, nullables, literals and enums', () => {
    expect(fromZod(z.union([z.literal('a'), z.number()]))).toEqual({ oneOf: [{ const: 'a' }, { type: 'number' }] });
    expect(fromZod(z.string().max(3).nullable())).toEqual({ oneOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] });
    expect(fromZod(z.enum(['x', 'y']))).toEqual({ enum: ['x', 'y'] });
    expect(toGrammarSchema({ type: ['number', 'null'] }, 'm')).toEqual({ type: ['number', 'null'] });
  });

  it('maps records, open objects and any-JSON', () => {
    expect(fromZod(z.record(z.string(), z.boolean()))).toMatchObject({ type: 'object', additionalProperties: { type: 'boolean' } });
    expect(toGrammarSchema({ type: 'object' }, 'm')).toEqual({ type: 'object', properties: {}, additionalProperties: true });
    expect(fromZod(z.unknown())).toHaveProperty('oneOf');
  });

  it('keeps $defs and rewrites $ref to them (recursive schemas)', () => {
    interface Node {
      value: number;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ value: z.number(), children: z.array(node).max(2) }));
    const converted = toGrammarSchema(zodToJsonSchema(z.object({ root: node })), 'm') as Record<string, unknown>;
    expect(JSON.stringify(converted)).toContain('"$ref":"#/$defs/');
    expect(Object.keys(converted.$defs as object).length).toBeGreaterThan(0);
  });

  it('merges object intersections and rejects what it cannot express with ERR_MODEL_UNSUPPORTED', () => {
    const both = fromZod(z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })));
    expect(both).toMatchObject({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } } });
    const error = (() => {
      try {
        toGrammarSchema({ allOf: [{ type: 'string' }, { type: 'number' }] }, 'model-x');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('ERR_MODEL_UNSUPPORTED');
    expect((error as CoreError).details).toMatchObject({ model: 'model-x' });
  });
});

describe('tightenNumberRules', () => {
  it('bounds integer digits and number exponents in the generated GBNF', () => {
    const gbnf = [
      'root ::= integer-number-rule',
      'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
      'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
    ].join('\n');
    const tightened = tightenNumberRules(gbnf);
    expect(tightened).toContain('integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14})\n');
    expect(tightened).toContain('([eE] [-+]? [0-9]{1,2})?');
    expect(tightened).not.toContain('[0-9]{0,15}))?');
    expect(tightened.startsWith('root ::= integer-number-rule')).toBe(true);
  });

  it('writes the sign-free rules where the sentinels stood, and refuses a grammar where one is left', async () => {
    const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
    const schema = fromZod(z.object({ amount: z.number().min(0), count: z.number().int().min(1), items: z.array(z.number().int().min(0)).max(3), change: z.number() }));
    const gbnf = tightenNumberRules((await llama.createGrammarForJsonSchema(schema as never)).grammar);
    expect(gbnf).not.toContain('strongroom-grammar:');
    expect(gbnf).toContain(' ::= (("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?)');
    expect(gbnf).toContain(' ::= ([1-9] [0-9]{0,14})');
    expect(gbnf).toContain(' ::= (("0" | [1-9] [0-9]{0,14}))');
    expect(gbnf).toContain('"\\"change\\"" ":" [ ]? fractional-number-rule');
    await expect(llama.createGrammar({ grammar: gbnf })).resolves.toBeDefined(); // llama.cpp parses it
    expect(() => tightenNumberRules('root ::= val0\nval0 ::= "strongroom-grammar:non-negative-number"')).toThrow(/sentinel/);
  });
});

describe('the shipped workflows on a local model', () => {
  it('turns every structured output of every shipped workflow into a grammar llama.cpp accepts', async () => {
    const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
    const dir = join(import.meta.dirname, '..', '..', '..', 'resources', 'workflows');
    const schemas: Array<[string, Record<string, unknown>]> = [];
    const collect = (file: string, steps: Array<Record<string, unknown>>): void => {
      for (const step of steps) {
        if ((step.kind === 'llm' || step.kind === 'agent') && step.output) schemas.push([`${file} ${String(step.id)}`, step.output as Record<string, unknown>]);
        for (const nested of [step.steps, ...((step.cases as Array<{ steps: unknown }> | undefined) ?? []).map((c) => c.steps), step.otherwise]) if (Array.isArray(nested)) collect(file, nested as Array<Record<string, unknown>>);
      }
    };
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) collect(file, (parseYaml(readFileSync(join(dir, file), 'utf8')) as { steps: Array<Record<string, unknown>> }).steps);
    expect(schemas.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const [where, schema] of schemas) {
      try {
        const json = await llama.createGrammarForJsonSchema(fromZod(z.fromJSONSchema(schema as never)) as never);
        await llama.createGrammar({ grammar: tightenNumberRules(json.grammar) }); // as LocalModelPool builds it
      } catch {
        failures.push(where);
      }
    }
    expect(failures).toEqual([]);
    // The bound that broke the credit memo: exactly 2,000 characters.
    await expect(llama.createGrammarForJsonSchema(fromZod(z.string().max(2_000)) as never)).resolves.toBeDefined();
  }, 60_000);
});
