import { InvalidArgumentError } from 'commander';

export function parseInteger(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a valid integer.`);
  return Number.parseInt(value, 10);
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
