#!/usr/bin/env python3
# torchrun_compat.py: `torchrun`, for PyTorch 1.13 on Python 3.11 (Debian 12's python3-torch).
#
# There, torchrun stops before starting any process with
#     AttributeError: 'NoneType' object has no attribute 'get'
# because it looks up its --redirects and --tee values by iterating a flag enum, and Python 3.11
# no longer yields the enum's zero and combined members that way (PyTorch 2.0 fixed the lookup).
# This runs torchrun itself, with that one lookup fixed when it is broken, and takes the same
# arguments:
#     python3 torchrun_compat.py --nproc_per_node 2 train.py --data train.tsv
# With a newer PyTorch, use torchrun.

import re
import sys

from torch.distributed.elastic.multiprocessing import api

if api.Std.from_str("0") is None:

    def from_str(cls, vm):
        if re.match(api._VALUE_REGEX, vm):
            return cls(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = classmethod(from_str)

from torch.distributed.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
