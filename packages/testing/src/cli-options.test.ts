import { describe, expect, it } from 'vitest';
import { parseDevServerArgs, UsageError } from './cli-options.js';

describe('parseDevServerArgs', () => {
  it('defaults to 127.0.0.1:4000, any token, no data file', () => {
    expect(parseDevServerArgs([])).toEqual({
      port: 4000,
      host: '127.0.0.1',
      tokens: undefined,
      dataFile: undefined,
      help: false,
    });
  });

  it('reads every option, long and short, with --token repeatable', () => {
    expect(
      parseDevServerArgs(['-p', '0', '--host', '::1', '--token', 'a', '-t', 'b', '-d', 'x.jsonl']),
    ).toEqual({ port: 0, host: '::1', tokens: ['a', 'b'], dataFile: 'x.jsonl', help: false });
    expect(parseDevServerArgs(['--port=5000', '-h'])).toMatchObject({ port: 5000, help: true });
  });

  it('throws a UsageError naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [['--port', '70000'], /--port must be a number 0-65535, got "70000"/],
      [['--data', ''], /--data must not be empty/],
      [['--port', '-1'], /--port/],
      [['--port', '1.5'], /--port/],
      [['--nope'], /Unknown option '--nope'/],
      [['stray'], /Unexpected argument 'stray'/],
      [['--token', ''], /--token must not be empty/],
      [['--port'], /--port/],
    ];
    for (const [args, message] of cases) {
      expect(() => parseDevServerArgs(args), args.join(' ')).toThrow(message);
      expect(() => parseDevServerArgs(args)).toThrow(UsageError);
    }
  });
});
