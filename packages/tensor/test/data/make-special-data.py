# Reference numbers for test/special.test.ts: erf from Python's math.erf (the C library's,
# correctly rounded to within an ulp) over the ranges where the kernel switches method.
#
# Regenerate (from the repository root) with:
#     /usr/bin/python3 packages/tensor/test/data/make-special-data.py

import json
import math
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "special-python.json")
xs = [0.0, 1e-300, 1e-12, 1e-6, 0.1, 0.5, 1.0, 1.5, 2.0, 2.4999, 2.5, 2.5001, 3.0, 3.7, 4.5, 5.9, 6.0, 6.5, 10.0, 27.0]
xs += [-x for x in xs if x != 0]
xs += [-4 + 8 * k / 97 for k in range(98)]
json.dump({"python": sys.version.split()[0], "erf": {"x": xs, "y": [math.erf(x) for x in xs]}}, open(OUT, "w"), indent=1)
