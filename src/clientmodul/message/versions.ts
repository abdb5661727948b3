/**
 * The version headers a Clientmodul adds to every mail it sends (A_21388-01, kim-domain §6.2):
 * `X-KIM-CMVersion`, `X-KIM-PTVersion`, `X-KIM-KONVersion`.
 */
import { KimMessageError } from './errors.js';

export interface ClientmodulVersions {
  /** `<VendorID>_<x.y.z>[-build]`, e.g. `OSKIM_0.1.0`. */
  readonly cmVersion: string;
  /** The product type version `x.y.z[-n]`, e.g. `1.5.3`. */
  readonly ptVersion: string;
  /** `<Productname><ProductType><ProductTypeVersion><HWVersion><FWVersion>` of the Konnektor. */
  readonly konVersion: string;
}

export const DEFAULT_VERSIONS: ClientmodulVersions = {
  cmVersion: 'OSKIM_0.1.0',
  ptVersion: '1.5.3',
  konVersion: '<KIM Provider Stack software Konnektor><Konnektor><1.0.0><0.0.0><0.0.0>',
};

/** The version part of the regexes in gemSpec_CM_KOMLE (build number 0–255). */
const VERSION = String.raw`[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-25[0-5]|-2[0-4][0-9]|-[0-1]?[0-9]?[0-9])?`;
const CM_VERSION = new RegExp(`^[a-zA-Z0-9_]{1,5}_${VERSION}$`);
const PT_VERSION = new RegExp(`^${VERSION}$`);
/** Five angle-bracketed fields; samples from the field carry a sixth (`<null>`). */
const KON_VERSION = /^(<[^<>\r\n]+>){5,6}$/;

/** Throws KimMessageError INVALID_ARGUMENT when a value does not match its regex (receivers check them). */
export function checkVersions(versions: ClientmodulVersions): void {
  if (!CM_VERSION.test(versions.cmVersion))
    throw new KimMessageError('INVALID_ARGUMENT', `X-KIM-CMVersion ${JSON.stringify(versions.cmVersion)}`);
  if (!PT_VERSION.test(versions.ptVersion))
    throw new KimMessageError('INVALID_ARGUMENT', `X-KIM-PTVersion ${JSON.stringify(versions.ptVersion)}`);
  if (!KON_VERSION.test(versions.konVersion) || /[^\x20-\x7e]/.test(versions.konVersion))
    throw new KimMessageError('INVALID_ARGUMENT', `X-KIM-KONVersion ${JSON.stringify(versions.konVersion)}`);
}
