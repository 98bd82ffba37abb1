/** `lectern serve` and `lectern token create` (being written: see the API work). */
import type { Command } from 'commander';
import type { Config } from '../config.js';

export function registerServe(_cli: Command, _cfg: Config): void {}
