// The order of the backward walk: a max-heap of nodes by creation number. Creation order is a
// topological order (a node's inputs were made before it), so the newest node waiting is one
// whose consumers have all delivered their gradients.

import type { Node } from "./tape.js";

/** A max-heap of nodes by creation number: the walk always takes the newest node next. */
export class NewestFirst {
  private readonly items: Node[] = [];
  get size(): number {
    return this.items.length;
  }
  push(node: Node): void {
    const a = this.items;
    let i = a.push(node) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.id >= node.id) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = node;
  }
  pop(): Node {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && a[c + 1]!.id > a[c]!.id) c++;
        if (a[c]!.id <= last.id) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
