#!/usr/bin/env python3
# train.py: continue training an rnnc model in PyTorch (written by `rnnc export --format pytorch`).
#
# One process:              python3 train.py --data train.tsv --valid dev.tsv --out trained
# Two processes, this host: torchrun --nproc_per_node 2 train.py --data train.tsv --out trained
# Many machines:            see README.md beside this file.
#
# It reads the same TSV and CSV files rnnc reads (a header row naming the label and text columns),
# turns text into ids with the model's own vocabulary (vocab.json, never rebuilt), starts from the
# exported weights, and trains with the settings rnnc trained with (export.json), each of which a
# flag overrides. Under torchrun every process trains on its share of each epoch's batches with
# DistributedDataParallel (gloo on CPUs, nccl on GPUs), so all processes hold the same weights.
# It writes a folder like this one with the trained weights: train it again, or take it back to
# rnnc with `rnnc import`.

import argparse
import codecs
import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as exported  # noqa: E402  (model.py beside this file)

# Header names tried, in order, when no column is named (as rnnc reads them).
LABEL_COLUMNS = ["label", "sentiment", "class", "y", "target"]
TEXT_COLUMNS = ["text", "sentence", "review", "content", "x"]
# The files of an export, copied into the output folder with the new weights.
EXPORT_FILES = ["model.py", "train.py", "torchrun_compat.py", "export.json", "vocab.json", "model.json", "spec.json", "README.md"]
WEIGHTS = "state_dict.safetensors"


def fail(message):
    print(f"train.py: {message}", file=sys.stderr)
    sys.exit(2)


# What JavaScript's String.prototype.trim removes (Python's str.strip removes other characters).
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Windows-1252 as rnnc (and the WHATWG encoding standard) decodes it: its five undefined bytes
# become the control characters of the same number, not a replacement character.
codecs.register_error("rnnc_c1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))


def read_table(path, label_column, text_column):
    """(text, label) pairs of a .tsv (tab-separated, no quoting) or .csv (RFC 4180) file whose first
    row names the columns, and how many rows were skipped, read as rnnc reads them: UTF-8 (a BOM
    is dropped), or Windows-1252 when it is not UTF-8; a row with the wrong number of fields, an
    empty label or text, or (CSV) broken quoting is skipped."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw[3:].decode("cp1252", errors="rnnc_c1") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("cp1252", errors="rnnc_c1")
    rows = []
    if path.lower().endswith(".csv"):
        csv.field_size_limit(1_000_000)
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        while True:
            try:
                rows.append(next(reader))
            except StopIteration:
                break
            except csv.Error:
                rows.append(None)  # broken quoting: skipped, as rnnc skips it
    else:
        lines = re.split(r"\r\n|\n|\r", text)
        if lines and lines[-1] == "":
            lines.pop()  # the final line break ends the last line
        rows = [line.split("\t") for line in lines]
    if not rows or rows[0] is None or not any(h.strip(JS_SPACE) for h in rows[0]):
        fail(f"{path}: the first line must be a header naming the label and text columns")
    header = [h.strip(JS_SPACE).lower() for h in rows[0]]

    def column(wanted, defaults, what):
        for name in [wanted.strip(JS_SPACE).lower()] if wanted else defaults:
            if name in header:
                return header.index(name)
        fail(f"{path}: no {what} column (looked for {wanted or ', '.join(defaults)}; the header has {', '.join(header)})")

    li = column(label_column, LABEL_COLUMNS, "label")
    ti = column(text_column, TEXT_COLUMNS, "text")
    if li == ti:
        fail(f"{path}: label and text are the same column {header[li]!r}")
    examples, skipped = [], 0
    for row in rows[1:]:
        if row is None or len(row) != len(header) or row[li].strip(JS_SPACE) == "" or row[ti].strip(JS_SPACE) == "":
            skipped += 1
            continue
        examples.append((row[ti].strip(JS_SPACE), row[li].strip(JS_SPACE)))
    return examples, skipped


def encode(path, tokenizer, labels, args):
    examples, skipped = read_table(path, args.label_column, args.text_column)
    if args.limit:
        examples = examples[: args.limit]
    unknown = sorted({label for _, label in examples if label not in labels})
    if unknown:
        fail(f"{path}: labels {', '.join(map(repr, unknown[:5]))} are not the model's ({', '.join(map(repr, labels))})")
    if not examples:
        fail(f"{path}: no examples")
    ids = tokenizer.batch([text for text, _ in examples])
    y = torch.tensor([labels.index(label) for _, label in examples], dtype=torch.long)
    return ids, y, skipped


def early_stopping(best_loss, wait, val_loss, epoch, epochs, patience):
    """Keras's EarlyStopping(monitor="val_loss", restore_best_weights=True, min_delta=0), as rnnc
    decides it after `epoch` of `epochs`: (improved, best_loss, wait, stop). Without validation
    (val_loss None) every epoch is the best and none stops; a NaN loss is never better;
    patience 0 never stops."""
    if val_loss is None:
        return True, best_loss, 0, False
    improved = val_loss < best_loss
    best_loss, wait = (val_loss, 0) if improved else (best_loss, wait + 1)
    return improved, best_loss, wait, (not improved) and patience > 0 and wait >= patience and epoch < epochs


def make_optimizer(name, params, lr):
    """rnnc's optimizers with TensorFlow.js's constants (Keras's), not PyTorch's defaults."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, initial_accumulator_value=0.1)
    fail(f"unknown optimizer {name!r}")


def loss_on_logits(model):
    """The loss on the head's logits: binary cross-entropy for a one-unit sigmoid head, categorical
    cross-entropy (on class indices) for a softmax head."""
    if model.output_activation == "sigmoid":
        bce = nn.BCEWithLogitsLoss()
        return lambda out, y: bce(out.reshape(-1), y.float())
    if model.output_activation == "softmax":
        return nn.CrossEntropyLoss()
    fail(f"the model's last layer is {model.output_activation!r}, not a sigmoid or softmax head")


def predicted(model, out):
    return (out.reshape(-1) > 0).long() if model.output_activation == "sigmoid" else out.argmax(dim=1)


def evaluate(model, loss_fn, ids, y, batch, device):
    """Loss and accuracy of the whole set (every process computes the same)."""
    model.eval()
    total, right = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            xb, yb = ids[i: i + batch].to(device), y[i: i + batch].to(device)
            out = model(xb, logits=True)
            total += loss_fn(out, yb).item() * len(yb)
            right += (predicted(model, out) == yb).sum().item()
    return total / len(y), right / len(y)


def fingerprint(state_dict):
    h = hashlib.sha256()
    for name in sorted(state_dict):
        h.update(name.encode("utf-8"))
        h.update(exported.tensor_bytes(state_dict[name]))
    return h.hexdigest()


def main():
    with open(os.path.join(HERE, "export.json"), encoding="utf-8") as f:
        config = json.load(f)
    settings = config["settings"]
    p = argparse.ArgumentParser(description="Continue training an exported rnnc model (one process, or many under torchrun).")
    p.add_argument("--data", required=True, help="training data: .tsv or .csv with a header row")
    p.add_argument("--valid", help="validation data (same formats): reported each epoch; the epoch with the lowest validation loss is kept, and patience stops early")
    p.add_argument("--out", default="trained", help="folder to write (default: trained): this folder's files with the new weights")
    p.add_argument("--weights", default=os.path.join(HERE, WEIGHTS), help="weights to start from (default: the exported ones)")
    p.add_argument("--epochs", type=int, default=settings["epochs"], help=f"default: {settings['epochs']}, rnnc's setting")
    p.add_argument("--batch", type=int, default=settings["batch"], help=f"per process (default: {settings['batch']}, rnnc's setting)")
    p.add_argument("--lr", type=float, default=settings["lr"], help=f"default: {settings['lr']}")
    p.add_argument("--optimizer", default=settings["optimizer"], choices=["adam", "sgd", "rmsprop", "adagrad"])
    p.add_argument("--patience", type=int, default=settings["patience"], help="with --valid, stop after this many epochs without a better validation loss (0: never)")
    p.add_argument("--seed", type=int, default=settings["seed"])
    p.add_argument("--label-column", default=settings.get("label_column"))
    p.add_argument("--text-column", default=settings.get("text_column"))
    p.add_argument("--limit", type=int, default=0, help="use only the first N examples of each file")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps")
    p.add_argument("--backend", choices=["gloo", "nccl"], help="torch.distributed backend (default: nccl with GPUs, else gloo)")
    args = p.parse_args()

    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank, world = 0, 1
    device = torch.device("cpu")
    if distributed:
        backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
        if backend == "nccl":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    torch.manual_seed(args.seed)

    def say(record):
        if rank == 0:
            print(json.dumps(record), flush=True)

    if not os.path.exists(os.path.join(HERE, "vocab.json")):
        fail(f"{HERE} has no vocab.json: the model was exported before rnnc trained it, so it has no vocabulary to read text with (train it with rnnc, even for one epoch, and export again)")
    if not os.path.exists(args.weights):
        fail(f"no weights file {args.weights}")
    tokenizer = exported.Tokenizer.from_files(os.path.join(HERE, "vocab.json"), os.path.join(HERE, "export.json"))
    labels = tokenizer.labels
    ids, y, skipped = encode(args.data, tokenizer, labels, args)
    valid = encode(args.valid, tokenizer, labels, args) if args.valid else None

    model = exported.Model()
    model.load_state_dict(exported.load_weights(args.weights))
    model.to(device)
    net = nn.parallel.DistributedDataParallel(model) if distributed else model
    loss_fn = loss_on_logits(model)
    optimizer = make_optimizer(args.optimizer, [q for q in model.parameters() if q.requires_grad], args.lr)

    data = TensorDataset(ids, y)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if distributed else None
    loader = DataLoader(data, batch_size=args.batch, sampler=sampler, shuffle=sampler is None,
                        generator=torch.Generator().manual_seed(args.seed))
    say({"event": "start", "examples": len(y), "skipped_rows": skipped, "processes": world, "device": str(device),
         "batch_per_process": args.batch, "epochs": args.epochs, "optimizer": args.optimizer, "lr": args.lr})

    # The epoch with the lowest validation loss is kept (without --valid, the last); until an
    # epoch is better (a NaN loss never is), the weights training started from.
    best = {k: v.detach().clone() for k, v in model.state_dict().items()}
    best_loss, wait, step, history = math.inf, 0, 0, []
    for epoch in range(1, args.epochs + 1):
        started = time.time()
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        total = torch.zeros(2, dtype=torch.float64)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(net(xb, logits=True), yb)
            loss.backward()
            optimizer.step()
            total += torch.tensor([loss.item() * len(yb), len(yb)], dtype=torch.float64)
            step += 1
            if args.max_steps and step >= args.max_steps:
                break
        if distributed:
            total = total.to(device)
            dist.all_reduce(total)
        record = {"event": "epoch", "epoch": epoch, "loss": total[0].item() / max(total[1].item(), 1), "steps": step}
        if valid is not None:
            val_loss, val_accuracy = evaluate(model, loss_fn, valid[0], valid[1], args.batch, device)
            record.update(val_loss=val_loss, val_accuracy=val_accuracy)
        record["seconds"] = round(time.time() - started, 3)
        improved, best_loss, wait, stop = early_stopping(best_loss, wait, record.get("val_loss"), epoch, args.epochs, args.patience)
        if distributed:
            # Every process computed the same validation loss, but on other hardware the last
            # bit could differ: the first process decides for all, so none waits for the others.
            decision = torch.tensor([int(improved), int(stop)], device=device)
            dist.broadcast(decision, 0)
            improved, stop = bool(decision[0].item()), bool(decision[1].item())
        if improved:
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
        record["kept"] = improved
        history.append(record)
        say(record)
        if stop:
            say({"event": "early_stop", "epoch": epoch})
            break
        if args.max_steps and step >= args.max_steps:
            break

    model.load_state_dict(best)
    # One write of one line: the processes share standard error, and a line written in pieces
    # could interleave with another process's.
    sys.stderr.flush()
    os.write(2, f"rank {rank} of {world}: weights sha256 {fingerprint(model.state_dict())}\n".encode())
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        if os.path.abspath(args.out) != HERE:
            for name in EXPORT_FILES:
                if os.path.exists(os.path.join(HERE, name)):
                    shutil.copyfile(os.path.join(HERE, name), os.path.join(args.out, name))
        exported.save_weights(model.state_dict(), os.path.join(args.out, WEIGHTS), {"format": "pt"})
        with open(os.path.join(args.out, "history.json"), "w", encoding="utf-8") as f:
            json.dump({"data": args.data, "valid": args.valid, "processes": world, "history": history}, f, indent=1)
        say({"event": "done", "out": args.out, "kept_epoch": max((r["epoch"] for r in history if r.get("kept")), default=None)})
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
