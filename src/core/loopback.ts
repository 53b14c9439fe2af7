/**
 * Two questions about a host that look alike and are not:
 * - {@link isLoopback}: does listening on this host, or being addressed by it, stay on this
 *   machine? It decides the server's rules on loopback (no admin token needed, no drain delay,
 *   only loopback `Host` names answered). 0.0.0.0 and `::` listen on every interface, so they are
 *   beyond loopback; a name counts only when this server is sure to resolve it to loopback, so
 *   when in doubt the answer is false, the side that asks for a token.
 * - {@link isThisMachine}: would an endpoint with this host point at whichever machine uses it? A
 *   URL copied into a pod that names 127.0.0.1, `localhost` or 0.0.0.0 (connecting to the
 *   unspecified address reaches the local host) is the pod itself. When in doubt the answer is
 *   true, the side that refuses such an endpoint.
 *
 * Addresses are compared as addresses (`net.BlockList`), so every spelling of one counts:
 * `0:0:0:0:0:0:0:1`, `[::1]`, `::ffff:127.0.0.1` and the `::ffff:7f00:1` that `new URL()` writes
 * for it.
 *
 * Names under `.localhost` (RFC 6761) and `localhost.` (the same name, fully qualified) count for
 * {@link isThisMachine}: they mean loopback or nothing. They do not count for {@link isLoopback}:
 * Node resolves them with getaddrinfo, which looks them up in DNS like any other name (glibc
 * answers ENOTFOUND for `localhost.` and `a.localhost`), so nothing guarantees they stay on this
 * machine; a server on loopback answers a `Host` of that kind only when `server.allowedHosts`
 * lists it.
 */
import { BlockList, isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and 127.0.0.0/8 mapped into IPv6 (`::ffff:127.0.0.1`). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('::1', 128, 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** The unspecified addresses: listening on one is every interface; connecting to one is this machine. */
const UNSPECIFIED = new BlockList();
UNSPECIFIED.addAddress('0.0.0.0', 'ipv4');
UNSPECIFIED.addAddress('::', 'ipv6');
UNSPECIFIED.addAddress('::ffff:0.0.0.0', 'ipv6');

/**
 * Names that are ::1 in every pod: the kubelet writes them into the /etc/hosts it manages
 * (`::1 localhost ip6-localhost ip6-loopback`), as Debian's default one does.
 */
const LOOPBACK_HOSTS_NAMES = new Set(['ip6-localhost', 'ip6-loopback']);

/**
 * IPv4 written as 1 to 4 decimal, octal (`0177`) or hex (`0x7f`) numbers: `127.1`, `2130706433`.
 * getaddrinfo (inet_aton) reads these as the same address `new URL()` does, so listening on
 * `127.1` binds 127.0.0.1; with a trailing dot (`127.0.0.1.`) getaddrinfo looks the text up in
 * DNS instead, so that form is not one.
 */
const IPV4_NUMBERS = /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/;

/** `[::1]` → `::1`, `LOCALHOST` → `localhost`: one pair of brackets off, lower case. */
function bare(host: string): string {
  const text = host.toLowerCase();
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/** Whether `address` (an IP address literal) is in `list`. */
function inList(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * True when listening on `host`, or being addressed by it (a `Host` header's name), reaches only
 * this machine: an address in 127.0.0.0/8, ::1 or `::ffff:127.0.0.0/104` in any spelling (`127.1`,
 * `0:0:0:0:0:0:0:1`, `::ffff:7f00:1`), with or without brackets, or the name `localhost` in any
 * case. False for everything else, including 0.0.0.0 and `::` (every interface), `127.0.0.1.`,
 * `localhost.` and `*.localhost` (looked up in DNS, see the module's comment): the side that asks
 * for an admin token.
 *
 * @example
 *   isLoopback('[::ffff:7f00:1]'); // true
 *   isLoopback('0.0.0.0'); // false: listens beyond loopback
 */
export function isLoopback(host: string): boolean {
  let text = bare(host);
  if (isIP(text) === 0 && IPV4_NUMBERS.test(text)) text = asUrlHost(text);
  if (isIP(text) !== 0) return inList(LOOPBACK, text);
  return text === 'localhost';
}

/**
 * True when an endpoint with this host, used on any machine (copied into a pod, say), points at
 * that machine itself: a loopback address, an unspecified address (0.0.0.0, `::`), `localhost`,
 * `localhost.`, a name under `.localhost`, or `ip6-localhost` and `ip6-loopback`. Takes a URL
 * (`http://127.1:9000`, read as `new URL()` reads it) or a bare host, with or without brackets.
 * Private and link-local addresses are false: other machines may well reach them.
 *
 * @example
 *   isThisMachine('http://0.0.0.0:9000'); // true
 *   isThisMachine('http://minio.storage.svc:9000'); // false
 */
export function isThisMachine(hostOrUrl: string): boolean {
  const given = hostOrUrl.trim();
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? bare(new URL(given).hostname) : asUrlHost(bare(given));
  if (isIP(text) !== 0) return inList(LOOPBACK, text) || inList(UNSPECIFIED, text);
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name === 'localhost' || name.endsWith('.localhost') || LOOPBACK_HOSTS_NAMES.has(name);
}

/**
 * A bare host as a URL would hold it: `127.1` → `127.0.0.1`, `127.0.0.1.` → `127.0.0.1`, since
 * whatever uses the endpoint builds a URL from it. Only letters, digits, dots and hyphens are
 * parsed, so nothing else in the text (`a@127.0.0.1`) can become the host.
 */
function asUrlHost(host: string): string {
  if (isIP(host) !== 0 || !/^[a-z0-9.-]+$/.test(host)) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host;
  }
}
