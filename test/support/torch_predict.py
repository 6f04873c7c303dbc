# Predicts with an exported model folder's own files, as its README shows, for the PyTorch CLI
# tests: argv[1] the folder, argv[2] a JSON file of texts; prints the outputs as JSON lists.
import json
import sys

sys.path.insert(0, sys.argv[1])
import torch  # noqa: E402
from model import Model, Tokenizer, load_weights  # noqa: E402

torch.set_num_threads(1)
model = Model()
model.load_state_dict(load_weights(f"{sys.argv[1]}/state_dict.safetensors"))
model.eval()
tokenizer = Tokenizer.from_files(f"{sys.argv[1]}/vocab.json", f"{sys.argv[1]}/export.json")
with torch.no_grad():
    print(json.dumps(model(tokenizer.batch(json.load(open(sys.argv[2], encoding="utf-8")))).tolist()))
