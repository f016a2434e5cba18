import { describe, expect, it } from 'vitest';
import { renderTemplate } from './scope.ts';
import { validateDefinition } from './validate.ts';

const definition = (prompt: string) => ({ id: 'probe', name: 'Probe', inputs: { type: 'object', properties: { topic: { type: 'string' } } }, steps: [{ id: 'a', kind: 'llm', prompt }] });
const issuesOf = (prompt: string): string[] => {
  try {
    validateDefinition(definition(prompt));
    return [];
  } catch (error) {
    return ((error as { details?: { issues?: Array<{ path: string; message: string }> } }).details?.issues ?? []).map((i) => `${i.path}: ${i.message}`);
  }
};

describe('workflow templates', () => {
  it.each(["{% render 'package.json' %}", "{% include 'package.json' %}", "{% layout 'package.json' %}", "{% render 'node_modules/../package.json' %}"])('refuse file access at validation: %s', (prompt) => {
    expect(issuesOf(`Summarise {{ inputs.topic }} ${prompt}`)[0]).toMatch(/^steps\[0\]\.llm\.prompt: template syntax: .*not allowed/);
  });

  it('never renders a file, even if a template got past validation', () => {
    expect(() => renderTemplate("{% render 'package.json' %}", { inputs: {}, steps: {} }, 'a')).toThrow(/template/);
    expect(() => renderTemplate("{% include 'package.json' %}", { inputs: {}, steps: {} }, 'a')).toThrow(/template/);
  });

  it('refuses prototype and constructor access', () => {
    expect(() => renderTemplate('{{ inputs.constructor }}', { inputs: { a: 1 }, steps: {} }, 'a')).toThrow(/template/);
    expect(() => renderTemplate('{{ inputs.a.__proto__ }}', { inputs: { a: {} }, steps: {} }, 'a')).toThrow(/template/);
  });

  it('bounds a runaway loop instead of stalling the core', () => {
    // Ten billion iterations: without the render limit this would outlast the test timeout.
    expect(() => renderTemplate('{% for i in (1..100000000) %}{% for j in (1..100) %}x{% endfor %}{% endfor %}', { inputs: {}, steps: {} }, 'a')).toThrow(/template/);
  });

  it('still renders ordinary data', () => {
    expect(renderTemplate('Summarise {{ inputs.topic }} for {{ steps.a.output.name }}', { inputs: { topic: 'leverage' }, steps: { a: { output: { name: 'ACME' } } } }, 'b')).toBe('Summarise leverage for ACME');
  });
});
