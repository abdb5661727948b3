/** A parsed POP3 command (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH). */
export type Pop3Command =
  | { readonly name: 'USER'; readonly user: string }
  | { readonly name: 'PASS'; readonly password: string }
  | { readonly name: 'AUTH'; readonly mechanism: string | null; readonly initialResponse: string | null }
  | { readonly name: 'APOP' }
  | { readonly name: 'STLS' }
  | { readonly name: 'CAPA' }
  | { readonly name: 'QUIT' }
  | { readonly name: 'NOOP' }
  | { readonly name: 'RSET' }
  | { readonly name: 'STAT' }
  | { readonly name: 'LIST'; readonly msg: number | null }
  | { readonly name: 'UIDL'; readonly msg: number | null }
  | { readonly name: 'RETR'; readonly msg: number }
  | { readonly name: 'DELE'; readonly msg: number }
  | { readonly name: 'TOP'; readonly msg: number; readonly lines: number };

export type Pop3CommandName = Pop3Command['name'];

export type ParseResult =
  | { readonly ok: true; readonly command: Pop3Command }
  | { readonly ok: false; readonly error: 'unknown' }
  | { readonly ok: false; readonly error: 'syntax'; readonly name: Pop3CommandName };

const NUMBER = /^[0-9]{1,10}$/;

/**
 * Parses one command line (without its line end). Keywords are case-insensitive; arguments are
 * separated by single spaces. Trailing blanks are tolerated except for PASS, whose argument is
 * the whole rest of the line (RFC 1939 allows spaces in passwords).
 */
export function parseCommand(line: string): ParseResult {
  const space = line.indexOf(' ');
  const keyword = (space === -1 ? line : line.slice(0, space)).toUpperCase();
  const rest = space === -1 ? null : line.slice(space + 1);

  if (keyword === 'PASS') {
    if (rest === null || rest.length === 0) return syntax('PASS');
    return ok({ name: 'PASS', password: rest });
  }

  const args = rest === null ? [] : rest.replace(/[ \t]+$/, '').split(' ');
  if (rest !== null && args.length === 1 && args[0] === '') args.length = 0;
  if (args.some((arg) => arg.length === 0)) return isKnown(keyword) ? syntax(keyword) : unknown();

  switch (keyword) {
    case 'USER':
      return args.length === 1 && args[0] !== undefined
        ? ok({ name: 'USER', user: args[0] })
        : syntax('USER');
    case 'AUTH':
      if (args.length > 2) return syntax('AUTH');
      return ok({ name: 'AUTH', mechanism: args[0] ?? null, initialResponse: args[1] ?? null });
    case 'APOP':
    case 'STLS':
    case 'CAPA':
    case 'QUIT':
    case 'NOOP':
    case 'RSET':
    case 'STAT':
      if (args.length > 0 && keyword !== 'APOP') return syntax(keyword);
      return ok({ name: keyword });
    case 'LIST':
    case 'UIDL': {
      if (args.length === 0) return ok({ name: keyword, msg: null });
      const msg = args.length === 1 ? number(args[0]) : null;
      return msg === null ? syntax(keyword) : ok({ name: keyword, msg });
    }
    case 'RETR':
    case 'DELE': {
      const msg = args.length === 1 ? number(args[0]) : null;
      return msg === null ? syntax(keyword) : ok({ name: keyword, msg });
    }
    case 'TOP': {
      const msg = args.length === 2 ? number(args[0]) : null;
      const lines = args.length === 2 ? number(args[1]) : null;
      return msg === null || lines === null ? syntax('TOP') : ok({ name: 'TOP', msg, lines });
    }
    default:
      return unknown();
  }
}

const KNOWN: ReadonlySet<string> = new Set<Pop3CommandName>([
  'USER',
  'PASS',
  'AUTH',
  'APOP',
  'STLS',
  'CAPA',
  'QUIT',
  'NOOP',
  'RSET',
  'STAT',
  'LIST',
  'UIDL',
  'RETR',
  'DELE',
  'TOP',
]);

function isKnown(keyword: string): keyword is Pop3CommandName {
  return KNOWN.has(keyword);
}

function number(arg: string | undefined): number | null {
  return arg !== undefined && NUMBER.test(arg) ? Number(arg) : null;
}

function ok(command: Pop3Command): ParseResult {
  return { ok: true, command };
}

function syntax(name: Pop3CommandName): ParseResult {
  return { ok: false, error: 'syntax', name };
}

function unknown(): ParseResult {
  return { ok: false, error: 'unknown' };
}
