/** The README.md of a PyTorch export folder: what is in it, and how to run it on one machine or many. */

export interface ReadmeFacts {
  layers: { name: string; torch: string }[];
  labels: readonly string[];
  hasVocab: boolean;
  settings: { optimizer: string; lr: number; epochs: number; batch: number; patience: number; seed: number };
  source: string;
}

export function exportReadme(f: ReadmeFacts): string {
  const s = f.settings;
  return `# An rnnc model, exported to PyTorch

Exported by \`rnnc export ${f.source} --format pytorch\`. It needs Python 3 and PyTorch (1.13 or
later) and nothing else: no rnnc, no TensorFlow.

| file | what it holds |
|---|---|
| \`model.py\` | the model as an \`nn.Module\` (\`Model\`), its tokenizer (\`Tokenizer\`) and the weights reader (\`load_weights\`) |
| \`state_dict.safetensors\` | the weights: \`Model().state_dict()\` names and PyTorch layouts, in the [safetensors](https://huggingface.co/docs/safetensors) format |
| \`train.py\` | continues training, on one process or many (\`torchrun\`, DistributedDataParallel) |
| \`torchrun_compat.py\` | \`torchrun\` for PyTorch 1.13 on Python 3.11 (Debian 12), whose own \`torchrun\` cannot start (below) |
| \`export.json\` | the settings rnnc trained with (train.py's defaults) and the token pattern |
| \`vocab.json\` | the vocabulary and tokenizer, as rnnc wrote it${f.hasVocab ? '' : ' (missing: the model was never trained, so train.py cannot run)'} |
| \`model.json\`, \`spec.json\` | the TensorFlow.js topology and the spec, for \`rnnc import\` |

The layers:

${f.layers.map((l) => `- \`${l.name}\`: ${l.torch}`).join('\n')}

Labels, in output order: ${f.labels.length > 0 ? f.labels.map((l) => `\`${l}\``).join(', ') : '(none: the model was never trained)'}.

## Predict

\`\`\`python
from model import Model, Tokenizer, load_weights

model = Model()
model.load_state_dict(load_weights("state_dict.safetensors"))
model.eval()
tokenizer = Tokenizer.from_files("vocab.json", "export.json")
print(model(tokenizer.batch(["a wonderful film", "dull and far too long"])))
\`\`\`

The module computes what rnnc (TensorFlow.js) computes for the same ids, within 1e-5: Keras's
cells and masking (id 0 is padding wherever it is), on \`nn.LSTM\` / \`nn.RNN\` where they are the
same cell and on a step loop otherwise (a GRU: Keras's applies the reset gate before the
recurrent product, PyTorch's after). The tokenizer cuts text as rnnc does: rnnc translated its
token pattern to Python's \`re\` (\`export.json\`), with every character class spelled out.

## Train on this machine

Data is a \`.tsv\` (tab-separated, no quoting) or \`.csv\` file whose first row names the label
and text columns, as for \`rnnc train\`; the labels must be the model's.

\`\`\`sh
python3 train.py --data train.tsv --valid dev.tsv --out trained
torchrun --nproc_per_node 2 train.py --data train.tsv --valid dev.tsv --out trained
\`\`\`

Defaults come from rnnc's run: ${s.optimizer}, learning rate ${s.lr}, ${s.epochs} epochs, batch ${s.batch}
per process, patience ${s.patience}, seed ${s.seed}; each has a flag (\`python3 train.py --help\`).
With \`--valid\`, the epoch with the lowest validation loss is kept and training stops after
\`--patience\` epochs without a better one (never with 0), as in rnnc. Rows rnnc would skip (the
wrong number of fields, an empty label or text, broken CSV quoting) are skipped and counted. The starting weights are the exported ones; the
optimizer's state starts fresh. train.py prints one JSON line per epoch (loss, and with
\`--valid\` validation loss and accuracy) and writes \`--out\`: this folder's files with the new
weights, and \`history.json\`.

## Train on a cluster

Under \`torchrun\`, every process trains on its share of each epoch's batches and
DistributedDataParallel averages the gradients, so all processes end with the same weights
(each prints a SHA-256 of its weights on standard error, to check). The backend is \`nccl\`
when there are GPUs (one process per GPU) and \`gloo\` on CPUs (\`--backend\` to choose). Copy
this folder and the data to the same path on every machine, then start on each:

\`\`\`sh
torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 --rdzv_id rnnc-1 \\
  train.py --data train.tsv --valid dev.tsv --out trained
\`\`\`

\`HOST\` is any one of the machines. Under Slurm, run the same line with \`srun\` once per node.
With PyTorch 1.13 on Python 3.11 (Debian 12's \`python3-torch\`), \`torchrun\` stops at once with
\`AttributeError: 'NoneType' object has no attribute 'get'\`; run \`python3 torchrun_compat.py\`
with the same arguments instead (it is torchrun, with that lookup fixed; PyTorch 2.0 fixed it).
\`--batch\` is per process, so the effective batch is \`batch × processes\`; a larger effective
batch usually wants a larger \`--lr\`. Only the first process writes \`--out\`.

## Back to rnnc

\`rnnc import trained -o model-dir\` builds an rnnc model folder (model.json, weights.bin,
vocab.json) from the trained folder, for \`rnnc predict\`, \`eval\`, \`export\` and TensorFlow.js.
The weights go back exactly: the mapping is a reordering of the same numbers (PyTorch's two
recurrent biases are added into Keras's one).
`;
}
