# model.py: an rnnc model as a PyTorch module (written by `rnnc export --format pytorch`).
#
# The first part is the same for every model: the layers, the tokenizer and the weights file
# format. The model's own class, `Model`, is at the end. Needs only PyTorch (1.13 or later).
#
#     from model import Model, Tokenizer, load_weights
#     model = Model()
#     model.load_state_dict(load_weights("state_dict.safetensors"))
#     model.eval()
#     tokenizer = Tokenizer.from_files("vocab.json", "export.json")
#     probabilities = model(tokenizer.batch(["a wonderful film", "dull and slow"]))
#
# It computes what TensorFlow.js computes for the same ids (rnnc's tests hold every cell,
# direction, merge mode and padding pattern to 1e-5): Keras's cells, Keras's masking, and
# PyTorch's own nn.LSTM / nn.RNN wherever they compute the same thing.

import ctypes
import json
import os
import re
import struct
import sys
import unicodedata
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

# Where a layer is exactly what nn.LSTM or nn.RNN computes (LSTM with sigmoid gates and tanh, a
# SimpleRNN with tanh or relu), it runs on them: cuDNN on a GPU, one fused kernel on a CPU.
# False runs every layer on the step loop below instead (same numbers, slower).
NATIVE_RECURRENT = True


def activation(name):
    """A Keras activation by name, as a function of a tensor."""
    if name == "tanh":
        return torch.tanh
    if name == "sigmoid":
        return torch.sigmoid
    if name == "relu":
        return torch.relu
    if name == "linear":
        return lambda x: x
    if name == "hard_sigmoid":
        return lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0)
    if name == "softmax":
        return lambda x: torch.softmax(x, dim=-1)
    raise ValueError(f"unknown activation {name!r}")


class Embedding(nn.Module):
    """Word ids to vectors. With mask_zero, id 0 is padding wherever it is, as in Keras: each row's
    real ids move to the front, in order, and the layers above read only the first `lengths`
    steps of every row."""

    def __init__(self, input_dim, output_dim, mask_zero=True, trainable=True):
        super().__init__()
        self.mask_zero = mask_zero
        self.weight = nn.Parameter(torch.zeros(input_dim, output_dim), requires_grad=trainable)

    def forward(self, ids):
        if not self.mask_zero:
            return F.embedding(ids, self.weight), None
        real = ids != 0
        time = ids.shape[1]
        key = (~real).long() * time + torch.arange(time, device=ids.device)
        ids = ids.gather(1, key.argsort(dim=1))
        return F.embedding(ids, self.weight), real.sum(dim=1)


GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


class StepWeights(nn.Module):
    """The parameters of one direction of a recurrent layer that the step loop runs, named and
    shaped as nn.LSTM's, nn.GRU's and nn.RNN's are (weight_ih_l0 [gates × units, input],
    weight_hh_l0 [gates × units, units], bias_ih_l0, bias_hh_l0), gates in PyTorch's order:
    LSTM i, f, g, o; GRU r, z, n."""

    def __init__(self, gates, input_size, units, bias):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.zeros(gates * units, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.zeros(gates * units, units))
        if bias:
            self.bias_ih_l0 = nn.Parameter(torch.zeros(gates * units))
            self.bias_hh_l0 = nn.Parameter(torch.zeros(gates * units))


def direction_module(cell, input_size, units, activation, recurrent_activation, bias):
    """One direction: nn.LSTM or nn.RNN where they compute Keras's cell, StepWeights otherwise."""
    if cell == "lstm" and activation == "tanh" and recurrent_activation == "sigmoid":
        return nn.LSTM(input_size, units, batch_first=True, bias=bias)
    if cell == "simple_rnn" and activation in ("tanh", "relu"):
        return nn.RNN(input_size, units, nonlinearity=activation, batch_first=True, bias=bias)
    return StepWeights(GATES[cell], input_size, units, bias)


class Recurrent(nn.Module):
    """A SimpleRNN, LSTM or GRU layer, one direction (`rnn`) or both (`bi`: `rnn` and
    `rnn_reverse`), returning its whole sequence of states or the last one.

    Each direction runs forward in time over each row's real steps: the backward direction reads
    every row reversed within its length, so neither reads padding before a real step and no
    packing is needed (packed sequences are ten times slower to train on a CPU). Steps past a
    row's length produce values no later layer reads; a row of padding only gives zeros.

    The GRU is Keras's (reset gate applied before the recurrent product, `reset_after=False`, the
    one TensorFlow.js builds), which nn.GRU does not compute, so it always runs on the step loop;
    its weights still have nn.GRU's names and layout."""

    def __init__(self, cell, input_size, units, bidirectional=False, merge="concat", return_sequences=False,
                 activation="tanh", recurrent_activation="sigmoid", bias=True, dropout=0.0,
                 recurrent_dropout=0.0, trainable=True):
        super().__init__()
        self.cell, self.units, self.bidirectional, self.merge = cell, units, bidirectional, merge
        self.return_sequences = return_sequences
        self.activation_name, self.recurrent_activation_name = activation, recurrent_activation
        self.dropout, self.recurrent_dropout = dropout, recurrent_dropout
        args = (cell, input_size, units, activation, recurrent_activation, bias)
        self.rnn = direction_module(*args)
        if bidirectional:
            self.rnn_reverse = direction_module(*args)
        for p in self.parameters():
            p.requires_grad_(trainable)

    def forward(self, x, lengths):
        batch, time = x.shape[0], x.shape[1]
        steps = torch.arange(time, device=x.device)
        if lengths is None:
            order = steps.flip(0)[None, :].expand(batch, time)
            last = torch.full((batch,), time - 1, device=x.device)
        else:
            lengths = lengths.to(x.device)
            # Row b reversed within its length: step t reads step L-1-t, padding stays put.
            order = torch.where(steps[None, :] < lengths[:, None], lengths[:, None] - 1 - steps[None, :], steps[None, :])
            last = (lengths - 1).clamp(min=0)
        seqs, finals = [], []
        for module, reverse in [(self.rnn, False)] + ([(self.rnn_reverse, True)] if self.bidirectional else []):
            xs = x.gather(1, order[:, :, None].expand(-1, -1, x.shape[2])) if reverse else x
            seq = self._direction(module, xs)
            final = seq.gather(1, last[:, None, None].expand(-1, 1, self.units))[:, 0]
            if lengths is not None:
                final = final.masked_fill((lengths == 0)[:, None], 0.0)
            if reverse:
                seq = seq.gather(1, order[:, :, None].expand(-1, -1, self.units))
            seqs.append(seq)
            finals.append(final)
        return self._merge(seqs if self.return_sequences else finals)

    def _direction(self, module, x):
        """The states after every step, [batch, time, units], of one direction run forward."""
        if self.training and self.dropout > 0:
            # One input mask per sequence, the same at every step, as Keras draws it (Keras draws
            # one per gate, too).
            x = x * F.dropout(x.new_ones(x.shape[0], 1, x.shape[2]), self.dropout, True)
        native = NATIVE_RECURRENT and not isinstance(module, StepWeights) and not (self.training and self.recurrent_dropout > 0)
        if native:
            return module(x)[0]
        return self._loop(module, x)

    def _loop(self, w, x):
        """One direction step by step with Keras's equations (the weights are in PyTorch's layout)."""
        act = activation(self.activation_name)
        gate = activation(self.recurrent_activation_name)
        b_ih, b_hh = getattr(w, "bias_ih_l0", None), getattr(w, "bias_hh_l0", None)
        batch = x.shape[0]
        u = self.units
        h_mask = None
        if self.training and self.recurrent_dropout > 0:
            h_mask = F.dropout(x.new_ones(batch, u), self.recurrent_dropout, True)
        # Every step's input projection in one product, then split once: indexing one step at a
        # time would make backward build and sum a gradient the size of all steps for each step.
        xp = F.linear(x, w.weight_ih_l0, b_ih).unbind(1)
        w_hh = w.weight_hh_l0
        if self.cell == "gru":
            w_hz, w_hn = w_hh[: 2 * u], w_hh[2 * u:]
            b_hz, b_hn = (None, None) if b_hh is None else (b_hh[: 2 * u], b_hh[2 * u:])
        h = x.new_zeros(batch, u)
        c = x.new_zeros(batch, u)
        outs = []
        for g in xp:
            hr = h if h_mask is None else h * h_mask
            if self.cell == "lstm":
                i, f, cc, o = (g + F.linear(hr, w_hh, b_hh)).split(u, dim=1)
                c = gate(f) * c + gate(i) * act(cc)
                h = gate(o) * act(c)
            elif self.cell == "gru":
                gr, gz, gn = g.split(u, dim=1)
                hr_, hz_ = F.linear(hr, w_hz, b_hz).split(u, dim=1)
                r, z = gate(gr + hr_), gate(gz + hz_)
                n = act(gn + F.linear(r * hr, w_hn, b_hn))
                h = z * h + (1 - z) * n
            else:
                h = act(g + F.linear(hr, w_hh, b_hh))
            outs.append(h)
        return torch.stack(outs, dim=1)

    def _merge(self, parts):
        if len(parts) == 1:
            return parts[0]
        forward, backward = parts
        if self.merge == "concat":
            return torch.cat([forward, backward], dim=-1)
        if self.merge == "sum":
            return forward + backward
        if self.merge == "mul":
            return forward * backward
        if self.merge == "ave":
            return (forward + backward) * 0.5
        raise ValueError(f"unknown merge mode {self.merge!r}")


class Dense(nn.Module):
    """Keras's Dense: on the last axis, so per step on a sequence. `logits=True` leaves out a
    sigmoid or softmax activation (what a loss on logits wants)."""

    def __init__(self, in_features, units, activation="linear", bias=True, trainable=True):
        super().__init__()
        self.linear = nn.Linear(in_features, units, bias=bias)
        self.activation_name = activation
        for p in self.parameters():
            p.requires_grad_(trainable)

    def forward(self, x, logits=False):
        y = self.linear(x)
        if logits and self.activation_name in ("sigmoid", "softmax"):
            return y
        return activation(self.activation_name)(y)


class Tokenizer:
    """Text to word ids as rnnc does it: NFC, lower-case when the vocabulary says so, every match
    of the token pattern (rnnc's JavaScript pattern, translated to Python's `re` by the export),
    known words to their ids, anything else to 1, then truncated and padded with 0 to maxlen."""

    def __init__(self, vocab, python_token_pattern):
        self.words = {w: i for i, w in enumerate(vocab["words"])}
        self.labels = list(vocab["labels"])
        self.lowercase = bool(vocab["tokenizer"]["lowercase"])
        self.maxlen = int(vocab["maxlen"])
        self.padding = vocab.get("padding", "post")
        self.truncating = vocab.get("truncating", "post")
        self.pattern = re.compile(python_token_pattern)

    @staticmethod
    def from_files(vocab_json, export_json):
        with open(vocab_json, encoding="utf-8") as f:
            vocab = json.load(f)
        with open(export_json, encoding="utf-8") as f:
            pattern = json.load(f)["python_token_pattern"]
        return Tokenizer(vocab, pattern)

    def tokens(self, text):
        s = unicodedata.normalize("NFC", text)
        if self.lowercase:
            s = s.lower()
        # JavaScript's matchAll, not finditer: after an empty match JavaScript searches again one
        # character on, where finditer would let a non-empty match start at the same place.
        out, pos = [], 0
        while pos <= len(s):
            m = self.pattern.search(s, pos)
            if m is None:
                break
            if m.end() == m.start():
                pos = m.end() + 1
            else:
                out.append(m.group(0))
                pos = m.end()
        return out

    def ids(self, text):
        ids = [self.words.get(t, 1) for t in self.tokens(text)]
        if len(ids) > self.maxlen:
            ids = ids[: self.maxlen] if self.truncating == "post" else ids[len(ids) - self.maxlen:]
        pad = [0] * (self.maxlen - len(ids))
        return ids + pad if self.padding == "post" else pad + ids

    def batch(self, texts):
        """An int64 tensor [len(texts), maxlen]."""
        return torch.tensor([self.ids(t) for t in texts], dtype=torch.long).reshape(len(texts), self.maxlen)


# Weights: safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian
# header length, a JSON header naming each tensor's dtype, shape and byte range, then the bytes.
# No pickle, so loading runs no code; `safetensors.torch.load_file` reads the same files.

def tensor_bytes(t):
    """A tensor's float32 values as little-endian bytes (without numpy, which PyTorch does not need)."""
    t = t.detach().to("cpu", torch.float32).contiguous()
    return ctypes.string_at(t.data_ptr(), t.numel() * 4) if t.numel() > 0 else b""


def load_weights(path):
    """A state_dict (name → float32 tensor) from a safetensors file."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors files are little-endian; this machine is not")
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8: 8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32) if end > start else torch.zeros(0)
        out[name] = t.reshape(info["shape"])
    return out


def save_weights(state_dict, path, metadata=None):
    """Writes a state_dict as a safetensors file, atomically (a temporary file, then a rename)."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors files are little-endian; this machine is not")
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in state_dict.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
