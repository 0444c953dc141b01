// The data module against PyTorch's and numpy's documented behaviour: TensorDataset's items
// (torch.utils.data.TensorDataset), DataLoader's batch count and collation (default_collate,
// len(loader) = ceil(n / batch_size), or floor with drop_last), the shuffle order (numpy's
// np.random.RandomState(seed).permutation(n), which RandomState.permutation follows),
// pad_sequence's layout (torch.nn.utils.rnn.pad_sequence docs), and a vocabulary held to the
// examples' hand-written `[...new Set(text)].sort()`.

import { describe, expect, it } from "vitest";
import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";
import { tensor, type Tensor } from "@tapegrad/autograd";
import {
  DataError, DataLoader, LSTM, TensorDataset, Vocab, defaultCollate, manualSeed, padSequence, sequenceLengths,
} from "../src/index.js";

const arange = (n: number, shape: number[]) => tensor(nd.arange(n).reshape(shape));

describe("TensorDataset", () => {
  it("item i is [x[i], y[i], ...]", () => {
    const ds = new TensorDataset(arange(6, [3, 2]), tensor([10, 11, 12]));
    expect(ds.length).toBe(3);
    const [x, y] = ds.get(1);
    expect(x!.toArray()).toEqual([2, 3]);
    expect(y!.toArray()).toEqual(11);
    // a negative index counts from the end, as a tensor's does
    expect(ds.get(-1)[0]!.toArray()).toEqual([4, 5]);
    expect(() => ds.get(3)).toThrow(/TensorDataset.get: index 3 is out of range for 3 items/);
  });

  it("keeps each tensor's dtype: int32 class labels stay int32, in items and in batches", () => {
    const labels = nd.array([2, 0, 1], undefined, "int32");
    const ds = new TensorDataset(tensor(nd.zeros([3, 2]), { dtype: "float32" }), labels);
    expect(ds.get(0).map((t) => [t.dtype, t.toArray()])).toEqual([["float32", [0, 0]], ["int32", 2]]);
    const [[x, y]] = [...new DataLoader(ds, { batchSize: 3 })] as [[Tensor, Tensor]];
    expect([x.dtype, y.dtype, y.toArray()]).toEqual(["float32", "int32", [2, 0, 1]]);
  });

  it("tensors of different first dims are a ShapeError naming the shapes", () => {
    expect(() => new TensorDataset(arange(6, [3, 2]), tensor([1, 2]))).toThrow(nd.ShapeError);
    expect(() => new TensorDataset(arange(6, [3, 2]), tensor([1, 2]))).toThrow(/shapes \[3,2\], \[2\] differ in their first dim/);
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
  });
});

describe("DataLoader", () => {
  const ds = new TensorDataset(arange(10, [5, 2]), tensor([0, 1, 2, 3, 4]));

  it("batches in order, stacked along a new axis 0; length is the number of batches", () => {
    const loader = new DataLoader(ds, { batchSize: 2 });
    expect(loader.length).toBe(3); // ceil(5 / 2)
    const batches = [...loader];
    expect(batches.map(([x, y]) => [x!.shape, y!.toArray()])).toEqual([
      [[2, 2], [0, 1]],
      [[2, 2], [2, 3]],
      [[1, 2], [4]],
    ]);
    expect(batches[1]![0]!.toArray()).toEqual([[4, 5], [6, 7]]);
    const dropped = new DataLoader(ds, { batchSize: 2, dropLast: true });
    expect(dropped.length).toBe(2); // floor(5 / 2)
    expect([...dropped]).toHaveLength(2);
    expect(new DataLoader(ds).length).toBe(5); // batch_size defaults to 1
  });

  it("shuffles by numpy's permutation, a new order each pass", () => {
    const ten = new TensorDataset(tensor(nd.arange(10)));
    const loader = new DataLoader(ten, { batchSize: 10, shuffle: true, rng: new RandomState(0) });
    const first = [...loader][0]![0]!.toArray();
    // np.random.seed(0); np.random.permutation(10) -> [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
    expect(first).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    const again = [...loader][0]![0]!.toArray();
    expect(again).not.toEqual(first);
    expect([...(again as number[])].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("without an rng, shuffle draws from the default stream that manualSeed seeds", () => {
    const ten = new TensorDataset(tensor(nd.arange(10)));
    const loader = new DataLoader(ten, { batchSize: 10, shuffle: true });
    manualSeed(0);
    const a = [...loader][0]![0]!.toArray();
    manualSeed(0);
    const b = [...loader][0]![0]!.toArray();
    expect(a).toEqual(b);
    expect(a).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
  });

  it("any { length, get } is a dataset, and so is an array; collate is the user's to choose", () => {
    const squares = { length: 4, get: (i: number) => [tensor([i]), i * i] as [Tensor, number] };
    const [x, y] = [...new DataLoader(squares, { batchSize: 4 })][0]!;
    expect(x!.shape).toEqual([4, 1]);
    expect(y!.toArray()).toEqual([0, 1, 4, 9]);
    expect(y!.dtype).toBe("float64");
    const pairs = [{ a: tensor([1, 2]), b: true }, { a: tensor([3, 4]), b: false }];
    const [batch] = [...new DataLoader(pairs, { batchSize: 2 })];
    expect(batch!.a.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(batch!.b.toArray()).toEqual([true, false]);
    const sums = [...new DataLoader([1, 2, 3, 4, 5], { batchSize: 2, collate: (xs) => xs.reduce((s, v) => s + v, 0) })];
    expect(sums).toEqual([3, 7, 5]);
  });

  it("a batch from get() and stacking equals the fast path's one take", () => {
    const viaGet = [...new DataLoader({ length: ds.length, get: (i: number) => ds.get(i) }, { batchSize: 3 })];
    const viaTake = [...new DataLoader(ds, { batchSize: 3 })];
    expect(viaTake.map((b) => b.map((t) => t.toArray()))).toEqual(viaGet.map((b) => b.map((t) => t.toArray())));
  });

  it("validates its options, naming the value", () => {
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/DataLoader: batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(ds, { batchSize: 2.5 })).toThrow(/got 2.5/);
    expect(() => new DataLoader({ length: 3 } as never)).toThrow(DataError);
    expect(() => new DataLoader({ length: -1, get: () => 0 })).toThrow(/length must be a non-negative integer, got -1/);
    expect(() => new DataLoader(ds, { rng: new RandomState(0) })).toThrow(/shuffle is false/);
    expect(() => defaultCollate([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/cannot stack item 1 of shape \[3\] with item 0 of shape \[2\]/);
  });
});

describe("padSequence", () => {
  // pad_sequence docs: a = ones(25, 300), b = ones(22, 300), c = ones(15, 300) -> size (25, 3, 300)
  it("has pad_sequence's shapes", () => {
    const seqs = [tensor(nd.ones([25, 3])), tensor(nd.ones([22, 3])), tensor(nd.ones([15, 3]))];
    expect(padSequence(seqs).shape).toEqual([25, 3, 3]);
    expect(padSequence(seqs, { batchFirst: true }).shape).toEqual([3, 25, 3]);
    expect(sequenceLengths(seqs)).toEqual([25, 22, 15]);
  });

  it("pads after each sequence (or before, paddingSide left) with paddingValue", () => {
    const seqs = [tensor([1, 2, 3]), tensor([4])];
    expect(padSequence(seqs, { batchFirst: true }).toArray()).toEqual([[1, 2, 3], [4, 0, 0]]);
    expect(padSequence(seqs).toArray()).toEqual([[1, 4], [2, 0], [3, 0]]);
    expect(padSequence(seqs, { batchFirst: true, paddingValue: -1, paddingSide: "left" }).toArray()).toEqual([[1, 2, 3], [-1, -1, 4]]);
    const ids = padSequence([nd.array([5, 6], undefined, "int32"), nd.array([7], undefined, "int32")], { batchFirst: true });
    expect(ids.dtype).toBe("int32");
    expect(ids.toArray()).toEqual([[5, 6], [7, 0]]);
  });

  it("passes gradients to the sequences and none to the padding", () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4], { requiresGrad: true });
    const p = padSequence([a, b], { paddingValue: 9 });
    expect(p.toArray()).toEqual([[1, 4], [2, 9], [3, 9]]);
    p.mul(tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    expect(a.grad!.toArray()).toEqual([1, 3, 5]);
    expect(b.grad!.toArray()).toEqual([2]);
  });

  it("with sequenceLengths, an LSTM over the padded batch ends each sequence where it would alone", () => {
    const lstm = new LSTM(2, 3, { batchFirst: true, rng: new RandomState(1) });
    const long = tensor(new RandomState(2).randn(4, 2));
    const short = tensor(new RandomState(3).randn(2, 2));
    const [, [h]] = lstm.forward(padSequence([long, short], { batchFirst: true }), undefined, { lengths: sequenceLengths([long, short]) });
    const [, [hShort]] = lstm.forward(short.unsqueeze(0));
    expect(nd.allclose(h.data.slice(null, 1), hShort.data.slice(null, 0), { rtol: 1e-12, atol: 1e-12 })).toBe(true);
  });

  it("shapes that do not fit are a ShapeError naming them", () => {
    expect(() => padSequence([tensor([[1, 2]]), tensor([[1, 2, 3]])])).toThrow(/sequence 1 has shape \[1,3\], sequence 0 \[1,2\]/);
    expect(() => padSequence([])).toThrow(/non-empty/);
  });
});

describe("Vocab", () => {
  const text = "the cat sat\non the mat";

  it("fromText is the examples' sorted distinct characters, with encode and decode", () => {
    const v = Vocab.fromText(text);
    expect(v.tokens).toEqual([...new Set(text)].sort());
    const ids = v.encode(text);
    const index = new Map([...new Set(text)].sort().map((ch, i) => [ch, i]));
    expect(Array.from(ids)).toEqual(Array.from(text, (ch) => index.get(ch)));
    expect(v.decode(ids)).toBe(text);
    expect(v.decode(tensor(nd.array(Array.from(ids), undefined, "int32")))).toBe(text);
    expect(new Vocab(v.tokens).encode("cat")).toEqual(v.encode("cat"));
  });

  it("unknown tokens: an error naming the token and where, or the unknown token's id", () => {
    const v = Vocab.fromText("abc");
    expect(() => v.encode("abz")).toThrow(/Vocab.encode: unknown token "z" at position 2/);
    const u = Vocab.fromText("abc", { unknown: "?" });
    expect(u.tokens).toEqual(["?", "a", "b", "c"]);
    expect(Array.from(u.encode("abz"))).toEqual([1, 2, 0]);
    expect(() => new Vocab(["a", "b"], { unknown: "?" })).toThrow(/not among the tokens/);
    expect(() => new Vocab(["a", "a"])).toThrow(/appears twice/);
    expect(() => v.decode([3])).toThrow(/id 3 at position 0 is not in \[0, 3\)/);
  });

  it("tokens (words) decode with spaces; characters are code points", () => {
    const w = Vocab.fromTokens("to be or not to be".split(" "));
    expect(w.tokens).toEqual(["be", "not", "or", "to"]);
    expect(w.decode(w.encode(["to", "be"]))).toBe("to be");
    const e = Vocab.fromText("a😀b");
    expect(e.size).toBe(3);
    expect(e.decode(e.encode("😀a"))).toBe("😀a");
  });
});
