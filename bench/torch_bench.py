"""bench/kernels.mjs's models in PyTorch: embed(64, vocab 10000) |> bi(CELL(64)) x2 |> dense(1).

Batch 32 x length 100 of random ids (no padding), Adam 1e-3, binary cross-entropy, on THREADS
threads. One warm-up step, then ROUNDS rounds of timed steps; the best round counts (the
machine is shared). Prints one JSON line with samples/s for training and prediction.
With DIR, the model is the one `rnnc export --format pytorch` wrote there (model.py), whose
masking sorts every batch's ids (there is no padding here, but the module cannot know that).
Run by /usr/bin/python3 (Debian's python3-torch); usage: torch_bench.py CELL THREADS [ROUNDS [DIR]].
"""
import importlib.util
import json
import os
import sys
import time

import torch
from torch import nn

BATCH, LENGTH, VOCAB, UNITS = 32, 100, 10000, 64
cell = sys.argv[1] if len(sys.argv) > 1 else 'lstm'
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
torch.set_num_threads(threads)
RNN = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}.get(cell)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 64)
        self.rnn = RNN(64, UNITS, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * UNITS, 1)

    def forward(self, x):
        _, h = self.rnn(self.embed(x))
        h = h[0] if isinstance(h, tuple) else h
        # The top layer's forward and backward final states, as Keras' Bidirectional returns.
        return torch.sigmoid(self.head(torch.cat([h[-2], h[-1]], dim=1)))


def exported(folder):
    """The exported module, and its forward for training: logits, for a loss on logits."""
    spec = importlib.util.spec_from_file_location("exported", f"{folder}/model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = mod.Model()
    m.load_state_dict(mod.load_weights(f"{folder}/state_dict.safetensors"))
    return m, (lambda inputs: m(inputs, logits=True)), nn.BCEWithLogitsLoss()


torch.manual_seed(1)
if len(sys.argv) > 4:
    model, train_forward, loss_fn = exported(sys.argv[4])
else:
    model = Model()
    train_forward, loss_fn = model, nn.BCELoss()
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3, eps=1e-7)
x = torch.randint(2, VOCAB, (BATCH, LENGTH))
y = torch.randint(0, 2, (BATCH, 1)).float()


def step():
    opt.zero_grad()
    loss = loss_fn(train_forward(x), y)
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

# Debian's torch links the generic libblas.so.3; which BLAS that is is a Debian alternative.
blas_link = os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3')
blas = 'OpenBLAS' if 'openblas' in blas_link else ('reference BLAS' if os.path.exists(blas_link) else 'unknown BLAS')
print(json.dumps({'version': torch.__version__, 'threads': threads, 'blas': blas, 'train': train_rate, 'predict': predict_rate}))
