const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type SaslPlainResult =
  | { readonly ok: true; readonly authcid: string; readonly password: string }
  | { readonly ok: false; readonly error: 'malformed' | 'authzid' };

/**
 * Decodes a SASL PLAIN response (RFC 4616): base64 of `authzid NUL authcid NUL passwd`, strict
 * base64 and UTF-8. Acting as another user is not supported: the authorization identity must be
 * empty or equal to the authentication identity.
 */
export function decodeSaslPlain(response: string): SaslPlainResult {
  if (response.length === 0 || !BASE64.test(response)) return { ok: false, error: 'malformed' };
  let text: string;
  try {
    text = utf8.decode(Buffer.from(response, 'base64'));
  } catch {
    return { ok: false, error: 'malformed' };
  }
  const parts = text.split('\0');
  if (parts.length !== 3) return { ok: false, error: 'malformed' };
  const [authzid = '', authcid = '', password = ''] = parts;
  if (authcid.length === 0 || password.length === 0) return { ok: false, error: 'malformed' };
  if (authzid.length > 0 && authzid !== authcid) return { ok: false, error: 'authzid' };
  return { ok: true, authcid, password };
}
