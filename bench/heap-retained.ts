/**
 * What objects of a class keep alive in a heap snapshot: the bytes reachable from the roots only
 * through them (all of them together, so what they share counts once), and the snapshot's total.
 * With two snapshots, also the classes (node type and name) whose own bytes grew most between them.
 *
 * Run: node --max-old-space-size=6000 --import tsx bench/heap-retained.ts <snapshot> [<later snapshot>]
 *      [--class ServerMetrics --class SegmentBuilder ...]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { class: { type: 'string', multiple: true, default: [] }, top: { type: 'string', default: '25' } } });

interface Snapshot {
  readonly snapshot: { readonly meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

/** A snapshot with the fields it needs read once. */
class Heap {
  readonly count: number;
  readonly #s: Snapshot;
  readonly #nf: number;
  readonly #ef: number;
  readonly #first: Uint32Array;
  readonly #at: Record<string, number>;

  constructor(path: string) {
    this.#s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
    const meta = this.#s.snapshot.meta;
    this.#nf = meta.node_fields.length;
    this.#ef = meta.edge_fields.length;
    this.#at = {
      type: meta.node_fields.indexOf('type'),
      name: meta.node_fields.indexOf('name'),
      size: meta.node_fields.indexOf('self_size'),
      edges: meta.node_fields.indexOf('edge_count'),
      edgeType: meta.edge_fields.indexOf('type'),
      to: meta.edge_fields.indexOf('to_node'),
    };
    this.count = this.#s.nodes.length / this.#nf;
    this.#first = new Uint32Array(this.count + 1);
    for (let i = 0, e = 0; i < this.count; i++) {
      this.#first[i] = e;
      e += this.#s.nodes[i * this.#nf + this.#at.edges!]! * this.#ef;
    }
    this.#first[this.count] = this.#s.edges.length;
  }

  type(i: number): string {
    return this.#s.snapshot.meta.node_types[0][this.#s.nodes[i * this.#nf + this.#at.type!]!]!;
  }

  name(i: number): string {
    return this.#s.strings[this.#s.nodes[i * this.#nf + this.#at.name!]!]!;
  }

  size(i: number): number {
    return this.#s.nodes[i * this.#nf + this.#at.size!]!;
  }

  /** Objects group by constructor name; strings, arrays and numbers by their type alone. */
  group(i: number): string {
    const type = this.type(i);
    return ['object', 'closure', 'native', 'hidden', 'code'].includes(type) ? `${type} ${this.name(i).slice(0, 60)}` : type;
  }

  /** Bytes reachable from the root (node 0) through strong edges, never entering a blocked node. */
  reachable(blocked: (i: number) => boolean): number {
    const weak = this.#s.snapshot.meta.edge_types[0].indexOf('weak');
    const seen = new Uint8Array(this.count);
    const stack = [0];
    seen[0] = 1;
    let total = 0;
    while (stack.length > 0) {
      const i = stack.pop()!;
      total += this.size(i);
      for (let e = this.#first[i]!; e < this.#first[i + 1]!; e += this.#ef) {
        if (this.#s.edges[e + this.#at.edgeType!] === weak) continue;
        const to = this.#s.edges[e + this.#at.to!]! / this.#nf;
        if (seen[to] === 0 && !blocked(to)) {
          seen[to] = 1;
          stack.push(to);
        }
      }
    }
    return total;
  }

  /** Own bytes and count per group. */
  groups(): Map<string, { count: number; bytes: number }> {
    const groups = new Map<string, { count: number; bytes: number }>();
    for (let i = 0; i < this.count; i++) {
      const key = this.group(i);
      const entry = groups.get(key) ?? { count: 0, bytes: 0 };
      entry.count += 1;
      entry.bytes += this.size(i);
      groups.set(key, entry);
    }
    return groups;
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const heaps = positionals.map((path) => new Heap(path));
if (heaps.length === 0) throw new Error('give one or two .heapsnapshot files');
for (const [n, heap] of heaps.entries()) {
  const all = heap.reachable(() => false);
  console.log(`${positionals[n]}: ${mib(all)} reachable`);
  for (const name of args.class) {
    const members = new Set<number>();
    for (let i = 0; i < heap.count; i++) if (heap.type(i) === 'object' && heap.name(i) === name) members.add(i);
    console.log(`  ${name}: ${members.size} objects keep ${mib(all - heap.reachable((i) => members.has(i)))}`);
  }
}
if (heaps.length === 2) {
  const [before, after] = [heaps[0]!.groups(), heaps[1]!.groups()];
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
    const a = before.get(key) ?? { count: 0, bytes: 0 };
    const b = after.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: b.count - a.count, bytes: b.bytes - a.bytes };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  console.log('grew most (own bytes, objects):');
  for (const row of rows.slice(0, Number(args.top))) console.log(`  ${(row.bytes / 1024).toFixed(0).padStart(8)} KiB ${String(row.count).padStart(8)}  ${row.key}`);
}
