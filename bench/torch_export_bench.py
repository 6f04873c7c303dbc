"""bench/kernels.mjs's models as `rnnc export --format pytorch` writes them: model.py from DIR.

The same job as torch_bench.py (batch 32 x length 100 of random ids, no padding, Adam 1e-3,
binary cross-entropy) on the exported module, whose masking sorts and packs every batch (there
is no padding here, but the module cannot know that). Prints one JSON line with samples/s.
Usage: torch_export_bench.py DIR THREADS [ROUNDS].
"""
import importlib.util
import json
import sys
import time

import torch

folder, threads = sys.argv[1], int(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
torch.set_num_threads(threads)
spec = importlib.util.spec_from_file_location("exported", f"{folder}/model.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

BATCH, LENGTH = 32, 100
model = mod.Model()
model.load_state_dict(mod.load_weights(f"{folder}/state_dict.safetensors"))
vocab = model.embedding.weight.shape[0]
torch.manual_seed(1)
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3, eps=1e-7)
loss_fn = torch.nn.BCEWithLogitsLoss()
x = torch.randint(2, vocab, (BATCH, LENGTH))
y = torch.randint(0, 2, (BATCH, 1)).float()


def step():
    opt.zero_grad()
    loss = loss_fn(model(x, logits=True), y)
    loss.backward()
    opt.step()


def best_rate(fn, per_round):
    fn()
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = max(best, per_round * BATCH / (time.perf_counter() - t0))
    return best


model.train()
train_rate = best_rate(step, 4)
model.eval()
with torch.no_grad():
    predict_rate = best_rate(lambda: model(x), 8)
print(json.dumps({"train": train_rate, "predict": predict_rate}))
