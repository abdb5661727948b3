import { domainOf } from '../mail/kimAddress.js';

export type Route = 'local' | 'provider' | 'foreign';

/** Where mail for an address goes: a mailbox here, another KIM provider, or nowhere (refused). */
export class Routing {
  private readonly local: Set<string>;
  private readonly providers: Set<string>;

  constructor(localDomains: readonly string[], providerDomains: readonly string[]) {
    this.local = new Set(localDomains.map((d) => d.toLowerCase()));
    this.providers = new Set(providerDomains.map((d) => d.toLowerCase()));
  }

  route(address: string): Route {
    const domain = domainOf(address);
    if (this.local.has(domain)) return 'local';
    if (this.providers.has(domain)) return 'provider';
    return 'foreign';
  }
}
