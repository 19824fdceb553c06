// The table flags of the CLI (--columns, --missing, --numeric-encoding, --categorical-encoding) into a data spec.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { dataSpecFrom, parseColumns, parseMissing, withCsvFlags } from '../../../src/cli/shared.js';

const parsed = (args: string[]) => {
  const command = withCsvFlags(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }));
  command.parse(['node', 't', ...args]);
  return command.opts();
};

describe('table flags', () => {
  it('--columns reads NAME:TYPE pairs; a bad type or a pair without one is refused, saying what is expected', () => {
    expect(parseColumns('age:numeric, workclass:categorical,id:ignore,a:b:integer')).toEqual({
      age: 'numeric',
      workclass: 'categorical',
      id: 'ignore',
      'a:b': 'integer',
    });
    expect(() => parseColumns('age:text')).toThrow(
      'expected NAME:TYPE pairs separated by commas (e.g. age:numeric,id:ignore), TYPE one of numeric, integer, categorical, boolean, ignore; got "age:text"',
    );
    expect(() => parseColumns('age')).toThrow('got "age"');
    expect(() => parseColumns('a:numeric,a:integer')).toThrow('column "a" is stated twice');
  });

  it('--missing is a comma list, trimmed; empty parts dropped (the empty cell is always missing)', () => {
    expect(parseMissing('NA, -,,n/a')).toEqual(['NA', '-', 'n/a']);
    expect(parseMissing('')).toEqual([]);
  });

  it('reach the csv spec through dataSpecFrom', () => {
    const flags = parsed([
      '--columns',
      'age:numeric,id:ignore',
      '--missing',
      '?,-',
      '--numeric-encoding',
      'mode',
      '--categorical-encoding',
      'embedding',
      '--label-column',
      'income',
    ]);
    expect(dataSpecFrom('csv:adult.csv', flags)).toEqual({
      source: 'csv',
      path: 'adult.csv',
      labelColumn: 'income',
      scaling: 'minmax',
      columns: { age: 'numeric', id: 'ignore' },
      missing: ['?', '-'],
      numeric: 'mode',
      categorical: 'embedding',
    });
    expect(() => parsed(['--numeric-encoding', 'zscore'])).toThrow(
      /Allowed choices are standard, minmax, mode/,
    );
    expect(() => parsed(['--columns', 'x:words'])).toThrow(/TYPE one of numeric/);
  });
});
