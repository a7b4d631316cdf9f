/**
 * Maps a path in the plan (`['streams', 0, 'map']`) back to where it was written, using the node ranges of the
 * parsed YAML document and a LineCounter. Interpolation edits scalar values in place, so ranges stay true.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';

export interface Position {
  line: number;
  column: number;
}

interface Found {
  /** The pair holding the last segment, if the path ends in a mapping key. */
  pair: Pair | undefined;
  node: Node | undefined;
  /** How many segments were found; fewer than asked means we stopped at an ancestor. */
  depth: number;
}

export class YamlLocator {
  constructor(
    readonly file: string,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Where the value at `path` starts; an empty value or a missing key falls back to the key, then to the parent. */
  valueAt(path: readonly PathSegment[]): Position {
    const f = this.find(path);
    if (f.depth === path.length) {
      const valueStart = rangeStart(f.node);
      if (valueStart !== undefined && !(isScalar(f.node) && f.node.value === null && f.pair)) return this.at(valueStart);
    }
    return this.fallback(f);
  }

  /** Where the key of `path` is written (for "unknown key"); falls back to the value, then to the parent. */
  keyAt(path: readonly PathSegment[]): Position {
    const f = this.find(path);
    if (f.depth === path.length) {
      const keyStart = rangeStart(f.pair?.key as Node | undefined);
      if (keyStart !== undefined) return this.at(keyStart);
    }
    return f.depth === path.length ? this.valueAt(path) : this.fallback(f);
  }

  /** The key that holds the mapping at `path` (for "required key missing" inside it), else the mapping itself. */
  containerAt(path: readonly PathSegment[]): Position {
    return path.length === 0 ? this.valueAt(path) : this.keyAt(path);
  }

  /** The path of the mapping key written at `offset` (to name the key of a duplicate-key error), if any. */
  pathOfKeyAt(offset: number): PathSegment[] | undefined {
    const visit = (node: unknown, path: PathSegment[]): PathSegment[] | undefined => {
      if (isMap(node)) {
        for (const p of node.items) {
          const key = isScalar(p.key) ? String(p.key.value) : '?';
          if ((p.key as Node | null)?.range?.[0] === offset) return [...path, key];
          const found = visit(p.value, [...path, key]);
          if (found) return found;
        }
      } else if (isSeq(node)) {
        for (let i = 0; i < node.items.length; i++) {
          const found = visit(node.items[i], [...path, i]);
          if (found) return found;
        }
      }
      return undefined;
    };
    return visit(this.doc?.contents, []);
  }

  /** Whether `path` is written in the document (even with an empty value). */
  has(path: readonly PathSegment[]): boolean {
    return this.find(path).depth === path.length;
  }

  diagnostic(pos: Position, path: readonly PathSegment[], message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    return { file: this.file, line: pos.line, column: pos.column, path: formatPath(path), message, severity };
  }

  private fallback(f: Found): Position {
    const start = rangeStart(f.pair?.key as Node | undefined) ?? rangeStart(f.node);
    return start === undefined ? { line: 1, column: 1 } : this.at(start);
  }

  private find(path: readonly PathSegment[]): Found {
    let node: Node | undefined = (this.doc?.contents ?? undefined) as Node | undefined;
    let pair: Pair | undefined;
    let depth = 0;
    for (const seg of path) {
      if (isAlias(node) && this.doc) node = node.resolve(this.doc) as Node | undefined;
      let nextNode: Node | undefined;
      let nextPair: Pair | undefined;
      if (isMap(node)) {
        // The last one wins, as in the parsed value, when a key is (wrongly) written twice.
        nextPair = node.items.findLast((p) => isScalar(p.key) && String(p.key.value) === String(seg)) as Pair | undefined;
        nextNode = nextPair?.value as Node | undefined;
        if (!nextPair) break;
      } else if (isSeq(node) && typeof seg === 'number') {
        nextNode = node.items[seg] as Node | undefined;
        if (!nextNode) break;
      } else break;
      node = nextNode;
      pair = nextPair;
      depth++;
    }
    return { pair, node, depth };
  }
}

function rangeStart(node: Node | null | undefined): number | undefined {
  return node?.range?.[0];
}
