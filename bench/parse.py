"""The validate yardstick: parse every file named on the command line with PyYAML's libyaml
loader (``yaml.load_all`` with ``CSafeLoader``), and nothing more.

kubeconform cannot be installed on the machines the benchmark was written on; on the
1,000-service tree it took 1.0x to 1.3x this parse, so the benchmark stands this in for it
when kubeconform is not on PATH (and says so). A validator that reads each document once
cannot be faster than this by much.
"""

from __future__ import annotations

import sys

import yaml

for name in sys.argv[1:]:
    with open(name, "rb") as stream:
        for _ in yaml.load_all(stream, Loader=yaml.CSafeLoader):
            pass
