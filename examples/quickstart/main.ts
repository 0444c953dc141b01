import { tensor } from "@tapegrad/autograd";
import { Adam, Linear, Sequential, Tanh, manualSeed, mseLoss } from "@tapegrad/nn";

manualSeed(0);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]); // XOR: no straight line separates it
const model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
const opt = new Adam(model.parameters(), { lr: 0.05 });
for (let step = 0; step <= 300; step++) {
  const loss = mseLoss(model.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  if (step % 100 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(5)}`);
}
console.log(model.forward(x).data.toString()); // close to [[0] [1] [1] [0]]
