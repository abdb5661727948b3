/**
 * Client-system usernames (kim-domain §7.1, KOM-LE-A_2010, A_2032, A_21517, A_21518-02): the mail
 * program logs in to the Clientmodul with the KIM address plus the Fachdienst and the Konnektor
 * context, separated by `#`:
 *
 *   SMTP  address#host:port#MandantId#ClientsystemId#WorkplaceId[#KonnektorId]
 *   POP3  address#host:port#MandantId#ClientsystemId#WorkplaceId[#UserId|*][#KonnektorId]
 *
 * Optional fields before a later one are given as `*`; `host:port` may be `*` or empty (optional
 * since KIM 1.5.4), then the configured default Fachdienst is used. A plain address alone is
 * accepted too (default Fachdienst, no Konnektor context). Upstream only the plain address is
 * used (KOM-LE-A_2012, A_2034, A_2161).
 */
import { isIPv6 } from 'node:net';
import { isKimAddress } from '../mail/kimAddress.js';

export type ClientProtocol = 'smtp' | 'pop3';

export interface UpstreamEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The Konnektor context of a login (which card, for which workplace). */
export interface ClientContext {
  readonly mandantId: string;
  readonly clientsystemId: string;
  readonly workplaceId: string;
  /** POP3 only, needed when the address belongs to an HBA. */
  readonly userId?: string;
  /** Which Konnektor (multi-Konnektor setups); absent: the default one. */
  readonly konnektorId?: string;
}

export interface ClientUsername {
  /** The KIM address in its original spelling; the Fachdienst login name. */
  readonly address: string;
  /** The Fachdienst named in the username; it wins over the configured default. */
  readonly upstream?: UpstreamEndpoint;
  /** Absent when the username was a plain address. */
  readonly context?: ClientContext;
}

export type UsernameErrorCode =
  'USERNAME_MALFORMED' | 'ADDRESS_INVALID' | 'UPSTREAM_INVALID' | 'CONTEXT_INVALID';

export class UsernameError extends Error {
  override readonly name = 'UsernameError';
  constructor(
    readonly code: UsernameErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const SHAPE: Readonly<Record<ClientProtocol, string>> = {
  smtp: 'address#host:port#MandantId#ClientsystemId#WorkplaceId[#KonnektorId]',
  pop3: 'address#host:port#MandantId#ClientsystemId#WorkplaceId[#UserId][#KonnektorId]',
};

/** Context ids: visible characters only (they end up in Konnektor SOAP calls and logs). */
const CONTEXT_ID = /^[\x21-\x7e]{1,64}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_LITERAL = /^\[([0-9A-Fa-f:.]{2,45})\]$/;

/** Parses a client username; throws {@link UsernameError} with a message the user can act on. */
export function parseClientUsername(raw: string, protocol: ClientProtocol): ClientUsername {
  const fields = raw.split('#');
  const address = fields[0] ?? '';
  checkAddress(address);
  if (fields.length === 1) return { address };

  const maxFields = protocol === 'smtp' ? 6 : 7;
  if (fields.length < 5 || fields.length > maxFields) {
    throw new UsernameError(
      'USERNAME_MALFORMED',
      `username must be a KIM address or ${SHAPE[protocol]} (got ${fields.length} fields)`,
    );
  }
  const [, endpoint = '', mandantId = '', clientsystemId = '', workplaceId = ''] = fields;
  for (const [name, value] of [
    ['MandantId', mandantId],
    ['ClientsystemId', clientsystemId],
    ['WorkplaceId', workplaceId],
  ] as const) {
    if (value === '*' || !CONTEXT_ID.test(value)) {
      throw new UsernameError(
        'CONTEXT_INVALID',
        `username: ${name} is missing or invalid (${SHAPE[protocol]})`,
      );
    }
  }
  const userId = protocol === 'pop3' ? optionalId('UserId', fields[5]) : undefined;
  const konnektorId = optionalId('KonnektorId', protocol === 'pop3' ? fields[6] : fields[5]);
  const upstream = endpoint === '' || endpoint === '*' ? undefined : parseEndpoint(endpoint);
  return {
    address,
    ...(upstream === undefined ? {} : { upstream }),
    context: {
      mandantId,
      clientsystemId,
      workplaceId,
      ...(userId === undefined ? {} : { userId }),
      ...(konnektorId === undefined ? {} : { konnektorId }),
    },
  };
}

function checkAddress(address: string): void {
  const at = address.lastIndexOf('@');
  // The domain part is compared case-insensitively; the original spelling is kept (A_21455-01).
  const lowerDomain = at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
  if (!isKimAddress(lowerDomain)) {
    throw new UsernameError('ADDRESS_INVALID', 'username: the first field must be a KIM address');
  }
}

function optionalId(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '' || value === '*') return undefined;
  if (!CONTEXT_ID.test(value)) throw new UsernameError('CONTEXT_INVALID', `username: ${name} is invalid`);
  return value;
}

/** `host:port`, `[v6]:port`; the host is a DNS name or an IP literal. */
function parseEndpoint(value: string): UpstreamEndpoint {
  const colon = value.lastIndexOf(':');
  const invalid = () =>
    new UsernameError('UPSTREAM_INVALID', 'username: the second field must be host:port of the Fachdienst');
  if (colon <= 0) throw invalid();
  const hostPart = value.slice(0, colon);
  const portPart = value.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portPart)) throw invalid();
  const port = Number(portPart);
  if (port < 1 || port > 65535) throw invalid();
  const v6 = IPV6_LITERAL.exec(hostPart);
  if (v6 !== null) {
    if (v6[1] === undefined || !isIPv6(v6[1])) throw invalid();
    return { host: v6[1], port };
  }
  if (!HOST_NAME.test(hostPart)) throw invalid();
  return { host: hostPart, port };
}
