import * as nd from "@tapegrad/tensor";
import { Tensor, compile } from "@tapegrad/autograd";
import { LSTM } from "@tapegrad/nn";
const [n_x, n_a, m, T] = [3, 5, 10, 7];
const rng = new nd.RandomState(0);
const lstm = new LSTM(n_x, n_a, { rng });
const x = new Tensor(rng.randn(T, m, n_x), true);
const h0 = new Tensor(rng.randn(1, m, n_a), true);
const c0 = new Tensor(nd.zeros([1, m, n_a]));
const da = new Tensor(rng.randn(T, m, n_a));
const f = () => { lstm.zeroGrad(); x.zeroGrad(); h0.zeroGrad(); const [out] = lstm.forward(x, [h0, c0]); out.mul(da).sum().backward(); };
const a = compile(f, { fuse: false });
const b = compile(f);
for (let i = 0; i < 4; i++) { a(); b(); }
if (process.argv[2]) console.log(b.plan());
for (let r = 0; r < 3; r++) {
  for (const [name, s] of (process.env.ONLY ? [["fuse", b]] : [["eager", f], ["nofuse", a], ["fuse", b]]) as [string, () => void][]) {
    const N = Number(process.env.N ?? 3000); const t0 = performance.now(); for (let i = 0; i < N; i++) s(); console.log(name, ((performance.now() - t0) / N * 1000).toFixed(1), "us");
  }
}
import { setMatmulBackend } from "@tapegrad/tensor/internal";
if (process.env.TS) { setMatmulBackend("ts"); for (let r = 0; r < 2; r++) { const N = 3000; const t0 = performance.now(); for (let i = 0; i < N; i++) b(); console.log("fuse+tsgemm", ((performance.now() - t0) / N * 1000).toFixed(1), "us"); } }
