/**
 * Which addresses an alert webhook may reach. A webhook URL comes from whoever may add a rule, so
 * by default it may not point into the server's own network: loopback, private, link-local (the
 * cloud metadata service at 169.254.169.254), unique-local, carrier-grade NAT and other
 * non-unicast ranges are refused unless the operator allows them. The check runs on the address
 * the connection really goes to (at DNS lookup time), so a name that resolves to a private
 * address, or changes what it resolves to, is caught too.
 */
import { lookup as dnsLookup, promises as dnsPromises } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** The allow-list: hosts by name, addresses, and CIDR ranges (`10.0.0.0/8`, `::1/128`). */
export class WebhookGuard {
  readonly #hosts = new Set<string>();
  readonly #ranges: [Address, number][] = [];

  /** Entries that are neither an address nor a CIDR range are host names, matched exactly. */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const text = entry.trim().toLowerCase();
      if (ipaddr.isValidCIDR(text)) this.#ranges.push(ipaddr.parseCIDR(text));
      else if (ipaddr.isValid(text)) {
        const address = ipaddr.parse(text);
        this.#ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else this.#hosts.add(text);
    }
  }

  /** Why a connection to `address` (an IP address) for `host` is refused, or undefined when it is allowed. */
  problem(host: string, address: string): string | undefined {
    if (this.#hosts.has(host.toLowerCase().replace(/^\[|\]$/g, ''))) return undefined;
    let parsed: Address = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    const range = parsed.range();
    if (range === 'unicast') return undefined;
    if (this.#ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits))) return undefined;
    return `${host} is ${address}, in the ${range} range, which webhooks may not reach; add it to monitor.webhookAllowPrivate to allow it`;
  }

  /**
   * A `lookup` for node:http's request options: resolves as usual, then refuses the connection
   * when an address is not allowed.
   */
  lookupFor(host: string): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const refused = addresses.map((a) => this.problem(host, a.address)).find((p) => p !== undefined);
        if (refused !== undefined) return callback(new WebhookRefusedError(refused), []);
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      });
    };
  }

  /**
   * Why a webhook URL is refused, checked when it is given (a rule added through the API): its
   * address literal, or every address its name resolves to now. A name that does not resolve is
   * let through, as delivery checks the address it really connects to.
   */
  async urlProblem(url: URL): Promise<string | undefined> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return this.problem(host, host);
    if (this.#hosts.has(host.toLowerCase())) return undefined;
    const addresses = await dnsPromises.lookup(host, { all: true }).catch(() => []);
    return addresses.map((a) => this.problem(host, a.address)).find((p) => p !== undefined);
  }

  /** Checks a URL whose host is an address literal (no lookup happens for those). */
  literalProblem(url: URL): string | undefined {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return isIP(host) ? this.problem(host, host) : undefined;
  }
}

/** A webhook delivery refused by the guard: not retried. */
export class WebhookRefusedError extends Error {
  override readonly name = 'WebhookRefusedError';
}
