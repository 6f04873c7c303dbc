"""The work of `rnnc train` (one epoch) and `rnnc predict` done in PyTorch, for bench/cli.mjs.

What a PyTorch user would write for the same job: read the TSV, lower-case and tokenize with
the same token pattern (ASCII form), keep the 9,998 most frequent words (ids 0 padding, 1
unknown), pad or cut to maxlen 100 at the end, hold out a seeded 10% for validation, train
embed(64) |> 2-layer bidirectional LSTM(64) |> linear(1) + sigmoid with Adam 1e-3 and batch 32
for one epoch with padding skipped (packed sequences where a batch has padding, as rnnc masks
it), evaluate on the
validation set and save the model and vocabulary; then load them, read texts from standard
input and print `label<TAB>probability<TAB>text` lines, in batches of 128.

usage: torch_cli.py train DATA.tsv OUTDIR THREADS | torch_cli.py predict OUTDIR THREADS < TEXTS
"""
import csv
import json
import os
import random
import re
import sys
from collections import Counter

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:['’\-][^\W_]+)*|[^\s]")
MAXLEN, VOCAB, BATCH, PREDICT_BATCH = 100, 10000, 32, 128


def tokenize(text):
    return TOKEN.findall(text.lower())


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 64, padding_idx=0)
        self.rnn = nn.LSTM(64, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, ids, lengths):
        x = self.embed(ids)
        # Packing (to skip padding, as rnnc's mask does) is slow in PyTorch on CPU; a batch without
        # padding gives the same result without it, so only padded batches are packed.
        if bool((lengths < ids.shape[1]).any()):
            x = pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(x)
        return torch.sigmoid(self.head(torch.cat([h[-2], h[-1]], dim=1))).squeeze(1)


def encode(texts, index):
    ids = torch.zeros(len(texts), MAXLEN, dtype=torch.long)
    lengths = torch.zeros(len(texts), dtype=torch.long)
    for i, text in enumerate(texts):
        row = [index.get(t, 1) for t in tokenize(text)][:MAXLEN]
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        lengths[i] = len(row)
    return ids, lengths


def train(data, out):
    with open(data, newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    labels = sorted({r['label'] for r in rows})
    random.Random(42).shuffle(rows)
    n_val = round(len(rows) * 0.1)
    val, tr = rows[:n_val], rows[n_val:]
    counts = Counter(t for r in tr for t in tokenize(r['text']))
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: VOCAB - 2]]
    index = {w: i + 2 for i, w in enumerate(words)}
    x, lx = encode([r['text'] for r in tr], index)
    y = torch.tensor([labels.index(r['label']) for r in tr], dtype=torch.float)
    torch.manual_seed(42)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    order = torch.randperm(len(tr))
    model.train()
    for s in range(0, len(tr), BATCH):
        b = order[s : s + BATCH]
        opt.zero_grad()
        loss = loss_fn(model(x[b], lx[b]), y[b])
        loss.backward()
        opt.step()
    model.eval()
    vx, vl = encode([r['text'] for r in val], index)
    vy = torch.tensor([labels.index(r['label']) for r in val], dtype=torch.float)
    with torch.no_grad():
        p = torch.cat([model(vx[s : s + PREDICT_BATCH], vl[s : s + PREDICT_BATCH]) for s in range(0, len(val), PREDICT_BATCH)])
    acc = ((p > 0.5).float() == vy).float().mean().item()
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out, 'model.pt'))
    with open(os.path.join(out, 'vocab.json'), 'w') as f:
        json.dump({'words': words, 'labels': labels}, f)
    print(f'validation accuracy {acc:.4f}', file=sys.stderr)


def predict(out):
    with open(os.path.join(out, 'vocab.json')) as f:
        v = json.load(f)
    index = {w: i + 2 for i, w in enumerate(v['words'])}
    model = Model()
    model.load_state_dict(torch.load(os.path.join(out, 'model.pt')))
    model.eval()
    texts = sys.stdin.read().splitlines()
    lines = []
    with torch.no_grad():
        for s in range(0, len(texts), PREDICT_BATCH):
            batch = texts[s : s + PREDICT_BATCH]
            for text, p in zip(batch, model(*encode(batch, index)).tolist()):
                label = 1 if p > 0.5 else 0
                lines.append(f"{v['labels'][label]}\t{p if label else 1 - p:.4f}\t{text}")
    sys.stdout.write('\n'.join(lines) + '\n')


torch.set_num_threads(int(sys.argv[-1]))
if sys.argv[1] == 'train':
    train(sys.argv[2], sys.argv[3])
else:
    predict(sys.argv[2])
