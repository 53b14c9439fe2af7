/** The image writer's pure parts: entry normalisation, image references, base choice. */
import { describe, expect, it } from 'vitest';
import { contentEntry, normalizeEntries } from '../../src/app/image/layer-entry.js';
import { parseImageReference } from '../../src/app/image/registry-client.js';
import { defaultImageBase, parseImageBase } from '../../src/cli/commands/build.js';

const fail = (reason: string) => new Error(reason);

describe('image parts', () => {
  it('sorts entries with parents first and adds missing folders, the last of a path winning', () => {
    const entries = normalizeEntries([
      contentEntry('/opt/b/z.txt', 'z'),
      contentEntry('/opt/a-b/y.txt', 'y'),
      contentEntry('/opt/a/x.txt', 'old'),
      contentEntry('/opt/a/x.txt', 'new'),
    ]);
    expect(entries.map((e) => `${e.type} ${e.path}`)).toEqual([
      'directory /opt',
      'directory /opt/a',
      'file /opt/a/x.txt',
      'directory /opt/a-b',
      'file /opt/a-b/y.txt',
      'directory /opt/b',
      'file /opt/b/z.txt',
    ]);
    const x = entries.find((e) => e.path === '/opt/a/x.txt');
    expect(x && 'content' in x ? Buffer.from(x.content).toString() : undefined).toBe('new');
    expect(() => normalizeEntries([contentEntry('/opt/../etc/passwd', 'x')])).toThrow(/leaves the image root/);
  });

  it('parses image references, Docker Hub when no registry is named', () => {
    expect(parseImageReference('127.0.0.1:5000/berth/loans:3', fail)).toEqual({ host: '127.0.0.1:5000', repository: 'berth/loans', tag: '3' });
    expect(parseImageReference('localhost/loans', fail)).toEqual({ host: 'localhost', repository: 'loans', tag: 'latest' });
    expect(parseImageReference('node:20-slim', fail)).toEqual({ host: 'registry-1.docker.io', repository: 'library/node', tag: '20-slim' });
    expect(parseImageReference('docker.io/library/node:20-slim', fail)).toEqual({ host: 'registry-1.docker.io', repository: 'library/node', tag: '20-slim' });
    expect(parseImageReference('bitnami/node', fail)).toEqual({ host: 'registry-1.docker.io', repository: 'bitnami/node', tag: 'latest' });
    expect(() => parseImageReference('registry.example.com/Team/Loans:1', fail)).toThrow(/not a repository name/);
    expect(() => parseImageReference('registry.example.com/loans:bad tag', fail)).toThrow(/not a tag/);
  });

  it('takes host, oci: layouts and references as bases, the slim Node image of this major by default', () => {
    expect(parseImageBase('host')).toEqual({ kind: 'host' });
    expect(parseImageBase('oci:/tmp/layout')).toEqual({ kind: 'oci', path: '/tmp/layout' });
    expect(parseImageBase('node:20-slim')).toEqual({ kind: 'registry', reference: 'node:20-slim' });
    expect(() => parseImageBase('oci:')).toThrow(/needs a path/);
    expect(defaultImageBase('v20.20.2')).toBe('docker.io/library/node:20-slim');
  });
});
