# Runs exported PyTorch models for pytorch-equivalence.test.ts: reads a JSON job
# [{"dir": export folder, "batches": [[[id, ...], ...], ...]}, ...] from argv[1] and prints, for
# each model, its outputs on every batch with nn.LSTM/nn.RNN where model.py uses them ("native")
# and with the step loop everywhere ("loop"), plus the state_dict's names.
import json
import sys

import torch
from load_module import load_module

torch.set_num_threads(1)
results = []
for k, job in enumerate(json.load(open(sys.argv[1]))):
    mod = load_module(f"exported_{k}", f"{job['dir']}/model.py")
    model = mod.Model()
    model.load_state_dict(mod.load_weights(f"{job['dir']}/state_dict.safetensors"))  # strict: every name must match
    model.eval()
    out = {"keys": list(model.state_dict().keys())}
    with torch.no_grad():
        for mode, native in (("native", True), ("loop", False)):
            mod.NATIVE_RECURRENT = native
            out[mode] = [model(torch.tensor(rows, dtype=torch.long)).reshape(-1).tolist() for rows in job["batches"]]
    results.append(out)
print(json.dumps(results))
