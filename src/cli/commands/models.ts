// `latentlab models [KIND]`: the registered model families, and a family's options with their flags, types,
// defaults and descriptions, all read from the families' schemas (the same source as the train flags).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { ModelFamily } from '../../models/family.js';
import { listFamilies } from '../../models/registry.js';
import {
  describeType,
  type FieldSchema,
  familyFields,
  formatValue,
  modelOptions,
  placeholder,
} from '../model-options.js';

interface ModelsFlags {
  json?: boolean;
}

interface OptionInfo {
  name: string;
  flag: string;
  /** What the flag's value looks like, e.g. <n>, <list>, [bool]. */
  value: string;
  aliases: string[];
  type: string;
  choices?: unknown[];
  default?: unknown;
  description?: string;
  /** The option's JSON Schema, as the studio's form reads it. */
  schema: FieldSchema;
}

function familySummary(family: ModelFamily) {
  return { kind: family.kind, description: family.description, imagesOnly: family.needsImages === true };
}

function optionsOf(family: ModelFamily): OptionInfo[] {
  const flags = new Map(modelOptions().map((option) => [option.key, option]));
  return Object.entries(familyFields(family)).map(([name, field]: [string, FieldSchema]) => {
    const option = flags.get(name);
    return {
      name,
      flag: option?.flag ?? '',
      value: option ? placeholder(option) : '',
      aliases: option?.aliases ?? [],
      type: describeType(field),
      ...(field.enum ? { choices: field.enum } : {}),
      ...(field.default !== undefined ? { default: field.default } : {}),
      ...(field.description ? { description: field.description } : {}),
      schema: field,
    };
  });
}

function printFamilies(families: ModelFamily[]): void {
  const width = Math.max(...families.map((family) => family.kind.length));
  const lines = families.map((family) => {
    const images = family.needsImages ? ' (images only)' : '';
    return `  ${family.kind.padEnd(width)}  ${family.description}${images}`;
  });
  process.stdout.write(
    `model families (latentlab train --model KIND; latentlab models KIND lists its options):\n${lines.join('\n')}\n`,
  );
}

function printOptions(family: ModelFamily, options: OptionInfo[]): void {
  const out: string[] = [
    `${family.kind}: ${family.description}${family.needsImages ? ' (images only)' : ''}`,
  ];
  out.push(`options (train flags; or "${family.kind}" config keys, or --set key=value):`);
  const rows = options.map((option) => ({
    name: option.name,
    flags: [option.flag, ...option.aliases].map((flag) => `${flag} ${option.value}`).join(', '),
  }));
  const nameWidth = Math.max(...rows.map((row) => row.name.length));
  const flagWidth = Math.max(...rows.map((row) => row.flags.length));
  options.forEach((option, i) => {
    const value =
      'default' in option ? formatValue(option.name, option.default) : 'none (the family picks one)';
    const row = rows[i];
    out.push(
      `  ${row.name.padEnd(nameWidth)}  ${row.flags.padEnd(flagWidth)}  ${option.type}; default ${value}`,
    );
    if (option.description) out.push(`  ${''.padEnd(nameWidth)}  ${option.description}`);
  });
  process.stdout.write(`${out.join('\n')}\n`);
}

export function modelsCommand(): Command {
  return new Command('models')
    .description('list the model families, or one family’s options with their flags, defaults and choices')
    .argument('[kind]', 'a model family (without it: all families)')
    .option('--json', 'print JSON')
    .action((kind: string | undefined, flags: ModelsFlags) => {
      const families = listFamilies();
      if (kind === undefined) {
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(families.map(familySummary), null, 2)}\n`);
        } else {
          printFamilies(families);
        }
        return;
      }
      const family = families.find((candidate) => candidate.kind === kind);
      if (!family)
        throw new UsageError(
          `unknown model kind "${kind}": expected one of ${families.map((f) => f.kind).join(', ')}`,
        );
      const options = optionsOf(family);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...familySummary(family), options }, null, 2)}\n`);
      } else {
        printOptions(family, options);
      }
    });
}
