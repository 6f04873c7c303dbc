# Loads a Python file as a module under a name of its own, for the scripts beside this one that
# run an exported folder's model.py or train.py (Python puts this folder on their import path).
import importlib.util


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
