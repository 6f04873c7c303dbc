"""The bench/train.mjs model in PyTorch: embed(64, vocab: 10000) |> bi(lstm(64)) x2 |> dense(1).

Batch 32 x length 100 of random ids, Adam 1e-3, binary cross-entropy; one warm-up step, then
timed steps. Prints one JSON line: samples/s for training and prediction. Run by
/usr/bin/python3 (Debian's python3-torch); usage: torch_bench.py TRAIN_STEPS PREDICT_BATCHES.
"""
import json
import os
import sys
import time

import torch
from torch import nn

BATCH, LENGTH, VOCAB = 32, 100, 10000
train_steps = int(sys.argv[1]) if len(sys.argv) > 1 else 4
predict_batches = int(sys.argv[2]) if len(sys.argv) > 2 else 4


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 64)
        self.rnn = nn.LSTM(64, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        _, (h, _) = self.rnn(self.embed(x))
        # The top layer's forward and backward final states, as Keras' Bidirectional returns.
        return torch.sigmoid(self.head(torch.cat([h[-2], h[-1]], dim=1)))


torch.manual_seed(1)
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.BCELoss()
x = torch.randint(2, VOCAB, (BATCH, LENGTH))
y = torch.randint(0, 2, (BATCH, 1)).float()


def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


step()
t0 = time.perf_counter()
for _ in range(train_steps):
    step()
train_rate = train_steps * BATCH / (time.perf_counter() - t0)

with torch.no_grad():
    model(x)
    t0 = time.perf_counter()
    for _ in range(predict_batches):
        model(x)
    predict_rate = predict_batches * BATCH / (time.perf_counter() - t0)

# Debian's torch links the generic libblas.so.3; which BLAS that is is a Debian alternative.
blas_link = os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3')
blas = 'OpenBLAS' if 'openblas' in blas_link else ('reference BLAS' if os.path.exists(blas_link) else 'unknown BLAS')
print(json.dumps({'version': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas, 'train': train_rate, 'predict': predict_rate}))
