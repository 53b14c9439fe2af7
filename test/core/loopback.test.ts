/**
 * The two questions about a host: does it stay on this machine when listened on or addressed
 * (`isLoopback`: the admin token, the drain delay, the DNS-rebinding defence), and would an
 * endpoint with it point at whichever machine uses it (`isThisMachine`: berth k8s refusing a local
 * S3 endpoint). Rows marked "was" are ones the former regex in config.ts answered wrongly.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopback, isThisMachine } from '../../src/core/loopback.js';

/** [host, isLoopback, isThisMachine, why] */
const HOSTS: readonly [string, boolean, boolean, string][] = [
  // IPv4
  ['127.0.0.1', true, true, 'loopback'],
  ['127.8.9.10', true, true, 'all of 127.0.0.0/8'],
  ['127.255.255.255', true, true, 'the end of 127.0.0.0/8'],
  ['127.1', true, true, 'shorthand for 127.0.0.1, as getaddrinfo and new URL() read it (was false)'],
  ['0x7f.0.0.1', true, true, 'hex (was false)'],
  ['2130706433', true, true, 'one number (was false)'],
  ['127.000.000.001', true, true, 'octal zeros'],
  ['127.0.0.1.', false, true, 'getaddrinfo looks it up in DNS; a URL reads it as 127.0.0.1 (was false for an endpoint)'],
  ['127.256.0.1', false, false, 'not an address (was true)'],
  ['127.0x.0.1', false, true, 'getaddrinfo does not read it as an address; a URL reads it as 127.0.0.1 (was false for an endpoint)'],
  ['128.0.0.1', false, false, 'beyond 127.0.0.0/8'],
  // IPv6 and IPv4-mapped IPv6
  ['::1', true, true, 'loopback'],
  ['[::1]', true, true, 'bracketed'],
  ['0:0:0:0:0:0:0:1', true, true, 'uncompressed (was false)'],
  ['::ffff:127.0.0.1', true, true, 'IPv4-mapped'],
  ['[::ffff:7f00:1]', true, true, 'IPv4-mapped as new URL() writes it (was false)'],
  ['::FFFF:7F00:1', true, true, 'upper case (was false)'],
  ['0:0:0:0:0:ffff:7f00:1', true, true, 'mapped, uncompressed (was false)'],
  ['::127.0.0.1', false, false, 'IPv4-compatible, a deprecated form that is not loopback'],
  ['::2', false, false, 'next to ::1'],
  // unspecified: every interface when listening, this machine when connecting
  ['0.0.0.0', false, true, 'unspecified (was false for an endpoint)'],
  ['0', false, true, '0.0.0.0 as one number (was false for an endpoint)'],
  ['::', false, true, 'unspecified (was false for an endpoint)'],
  ['[::]', false, true, 'bracketed (was false for an endpoint)'],
  ['::ffff:0.0.0.0', false, true, 'mapped unspecified (was false for an endpoint)'],
  // other machines
  ['10.0.0.1', false, false, 'private'],
  ['172.16.0.1', false, false, 'private'],
  ['192.168.1.10', false, false, 'private'],
  ['169.254.169.254', false, false, 'link-local (cloud metadata)'],
  ['fe80::1', false, false, 'link-local'],
  ['fd00::1', false, false, 'unique local'],
  // names
  ['localhost', true, true, 'the loopback name'],
  ['LOCALHOST', true, true, 'names have no case (was false)'],
  ['localhost.', false, true, 'getaddrinfo looks it up in DNS (was false for an endpoint)'],
  ['minio.localhost', false, true, 'RFC 6761: loopback or nothing, but looked up in DNS (was false for an endpoint)'],
  ['MinIO.LocalHost.', false, true, 'the same, any case, fully qualified (was false for an endpoint)'],
  ['ip6-localhost', false, true, '::1 in every pod\'s /etc/hosts (was false for an endpoint)'],
  ['localhost.example.com', false, false, 'an ordinary name'],
  ['notlocalhost', false, false, 'an ordinary name'],
  ['minio.storage.svc', false, false, 'a Service in the cluster'],
  ['evil.example@127.0.0.1', false, false, 'not a host: nothing after @ is read'],
  ['', false, false, 'nothing'],
];

describe('isLoopback and isThisMachine', () => {
  it.each(HOSTS)('%j: loopback %s, this machine %s (%s)', (host, loopback, thisMachine) => {
    expect(isLoopback(host)).toBe(loopback);
    expect(isThisMachine(host)).toBe(thisMachine);
  });

  it('reads an endpoint URL as new URL() does', () => {
    // What the WHATWG parser makes of hosts, which the former regex met through k8s's URL check.
    expect(new URL('http://127.1:9000').hostname).toBe('127.0.0.1');
    expect(new URL('http://[::ffff:127.0.0.1]:9000').hostname).toBe('[::ffff:7f00:1]');
    const urls: readonly [string, boolean][] = [
      ['http://127.0.0.1:9000', true],
      ['http://127.1:9000', true],
      ['http://[::ffff:127.0.0.1]:9000', true], // was false
      ['http://[0:0:0:0:0:0:0:1]:9000', true],
      ['http://0.0.0.0:9000', true], // was false
      ['http://[::]:9000', true], // was false
      ['HTTP://LOCALHOST.:9000', true], // was false
      ['https://s3.localhost:9000/bucket', true], // was false
      ['http://user@127.0.0.1:9000', true],
      ['http://minio.storage.svc:9000', false],
      ['http://10.0.0.5:9000', false],
      ['https://s3.eu-west-1.amazonaws.com', false],
      ['http://localhost.example.com:9000', false],
      ['http://127.0.0.1.example.com', false],
    ];
    for (const [url, expected] of urls) expect(isThisMachine(url), url).toBe(expected);
  });

  it('calls a listen host loopback only when the socket really binds a loopback address', async () => {
    for (const [host] of HOSTS.filter(([h, loopback]) => loopback && !h.startsWith('['))) {
      const server = createServer();
      const bound = await new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve((server.address() as { address: string }).address));
      });
      await new Promise((resolve) => server.close(resolve));
      expect(isLoopback(bound), `${host} bound ${bound}`).toBe(true);
    }
  });
});
