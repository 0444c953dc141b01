# Reference for AdaptiveMaxPool1d/2d with return_indices (packages/nn/test/pool-extra.test.ts):
# torch 1.13 (Debian's python3-torch) on inputs drawn from few values, so that bins hold ties,
# and one input with NaNs. Run: /usr/bin/python3 make-adaptive-max-indices.py > adaptive-max-indices.json
import json
import math
import numpy as np
import torch

rs = np.random.RandomState(26)
cases = []
def case(kind, shape, out, nan=False):
    x = rs.randint(0, 4, size=shape).astype(np.float64)
    if nan:
        flat = x.reshape(-1)
        flat[rs.choice(flat.size, size=max(2, flat.size // 5), replace=False)] = np.nan
    t = torch.tensor(x)
    f = torch.nn.functional.adaptive_max_pool1d if kind == 1 else torch.nn.functional.adaptive_max_pool2d
    v, i = f(t, out if kind == 1 else tuple(out) if isinstance(out, list) else out, return_indices=True)
    enc = lambda a: [None if math.isnan(e) else e for e in a.reshape(-1).tolist()]
    cases.append(dict(kind=kind, shape=list(shape), out=out, x=enc(x), values=enc(v.numpy()), vshape=list(v.shape), indices=i.reshape(-1).tolist()))

case(1, (2, 3, 10), 4)
case(1, (2, 3, 7), 3)
case(1, (3, 11), 5)
case(1, (2, 2, 9), 9)
case(2, (2, 3, 5, 7), [3, 4])
case(2, (1, 2, 6, 6), [4, 4])
case(2, (3, 5, 8), [2, 3])
case(2, (2, 2, 7, 5), [None, 2])
case(2, (2, 2, 6, 5), [3, 2], nan=True)
case(1, (2, 3, 10), 3, nan=True)
print(json.dumps(dict(torch=torch.__version__, cases=cases)))
