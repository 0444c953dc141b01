import { tensor, type Tensor } from "@tapegrad/autograd";
import * as nd from "@tapegrad/tensor";
import { Adam, LSTM, Linear, manualSeed, mseLoss } from "@tapegrad/nn";

manualSeed(0);
// Four sine waves, 400 steps each, as (seq, batch, 1); the task: predict the next value.
const T = 400, B = 4, chunk = 25;
const steps = nd.arange(T + 1).reshape([T + 1, 1, 1]);
const phases = nd.arange(B).reshape([1, B, 1]);
const wave = nd.sin(nd.add(nd.mul(steps, 0.1), phases));

const lstm = new LSTM(1, 16);
const head = new Linear(16, 1);
const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.01 });

for (let epoch = 0; epoch < 4; epoch++) {
  let state: [Tensor, Tensor] | undefined; // each pass over the data starts from zeros
  let total = 0;
  for (let s = 0; s < T; s += chunk) {
    const x = tensor(wave.slice([s, s + chunk]));
    const y = tensor(wave.slice([s + 1, s + chunk + 1]));
    const [out, [h, c]] = lstm.forward(x, state);
    const loss = mseLoss(head.forward(out), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    state = [h.detach(), c.detach()]; // keep the values, drop the graph behind them
    total += loss.item();
  }
  console.log(`epoch ${epoch}: mean loss ${(total / (T / chunk)).toFixed(5)}`);
}
