"""``save`` and ``load``: tensors, state_dicts and optimizer states to a file and back.

A file is a short header followed by a pickle of the object. Pickle writes the
containers (dicts, lists, tuples, numbers, strings) as usual; each tensor is taken
out of the stream (pickle's ``persistent_id``) and written as a NumPy ``.npy``
record of its own values, with its dtype, shape, device and ``requires_grad``.

- A view (``big[:2]``) is saved as its own elements only, and comes back as an
  independent tensor. PyTorch saves the whole storage a view looks into and keeps
  views of one storage sharing memory after loading; here only a tensor saved twice
  (the same object) comes back as one object.
- ``.grad`` and the graph are not saved: a tensor computed from others comes back as
  a leaf that requires grad (as in PyTorch).
- ``load(..., weights_only=True)``, the default as in PyTorch since 2.6, refuses a
  file that names any other Python object (a class, a function): unpickling such a
  file with ``weights_only=False`` can run arbitrary code.

The files are not PyTorch's (a zip archive of storages): ``torch.load`` cannot
read them, nor can this ``load`` read PyTorch's. To move weights between the two,
go through NumPy: ``{k: v.cpu().numpy() for k, v in model.state_dict().items()}``
saved with ``numpy.savez`` on one side, ``from_numpy`` on the other.
"""
import codecs
import contextlib
import io
import os
import pickle
from collections import OrderedDict

import numpy as np

from . import backend
from . import dtypes as dt
from .tensor import Size, Tensor

# the header: a file from elsewhere fails with a clear message
MAGIC = b"tinygrad_tutorial.save\n"
PYTORCH_ZIP_MAGIC = b"PK\x03\x04"

# What a weights-only file may name, besides tensors, dtypes and devices (records beside
# the pickle stream) and what pickle writes without naming anything (None, bool, int,
# float, str, bytes, list, tuple, dict; and sets from protocol 4 on).
SAFE_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    # protocol 2 writes bytes as encode(text, "latin1"); PyTorch allows it too
    ("_codecs", "encode"): codecs.encode,
    ("tinygrad_tutorial.tensor", "Size"): Size,
}


def save(obj, f, pickle_protocol=pickle.DEFAULT_PROTOCOL):
    """Write ``obj`` (a tensor, a state_dict, an optimizer's state_dict, nested
    containers of those) to ``f``, a path or a binary file object."""
    with _open(f, "wb") as file:
        file.write(MAGIC)
        _TensorPickler(file, protocol=pickle_protocol).dump(obj)


def load(f, map_location=None, weights_only=True):
    """Read back what ``save`` wrote to ``f`` (a path or a binary file object).

    Tensors return to the device they were saved from, unless ``map_location`` says
    otherwise: a device (``"cpu"``, ``"cuda"``, ``device(...)``) for all of them, a dict
    such as ``{"cuda:0": "cpu"}`` from saved device to new one, or a function
    ``(tensor, saved_device)`` called with each tensor on the CPU that returns it where
    it should go (``lambda t, loc: t``).
    """
    with _open(f, "rb") as file:
        header = file.read(len(MAGIC))
        if header != MAGIC:
            raise _not_our_file(header)
        unpickler_class = _WeightsOnlyUnpickler if weights_only else _TensorUnpickler
        return unpickler_class(file, map_location).load()


class _TensorPickler(pickle.Pickler):
    def __init__(self, file, protocol):
        # fix_imports=False: Python 3 names (builtins, not __builtin__)
        super().__init__(file, protocol=protocol, fix_imports=False)
        # id -> (index, tensor): a tensor met twice is written once (the reference
        # here keeps it alive, so its id is not reused meanwhile)
        self.saved_tensors = {}

    def persistent_id(self, obj):
        """The record that replaces ``obj`` in the stream (None: pickle it as usual)."""
        if isinstance(obj, Tensor):
            if id(obj) in self.saved_tensors:
                return ("tensor_again", self.saved_tensors[id(obj)][0])
            index = len(self.saved_tensors)
            self.saved_tensors[id(obj)] = index, obj
            from .nn.module import Parameter  # nn is imported on first use only

            kind = "Parameter" if isinstance(obj, Parameter) else "Tensor"
            return ("tensor", index, kind, _npy_bytes(obj.array), obj.requires_grad,
                    str(obj.device))
        if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
            return ("numpy", _npy_bytes(obj), isinstance(obj, np.generic))
        if isinstance(obj, dt.dtype):
            return ("dtype", obj.name)
        if isinstance(obj, backend.device):
            return ("device", str(obj))
        return None


class _TensorUnpickler(pickle.Unpickler):
    def __init__(self, file, map_location):
        super().__init__(file)
        self.map_location = map_location
        self.loaded_tensors = {}

    def persistent_load(self, record):
        kind = record[0]
        if kind == "tensor":
            _, key, tensor_type, payload, requires_grad, location = record
            tensor = self._tensor(tensor_type, _npy_array(payload), requires_grad,
                                  location)
            self.loaded_tensors[key] = tensor
            return tensor
        if kind == "tensor_again":
            return self.loaded_tensors[record[1]]
        if kind == "numpy":
            array = _npy_array(record[1])
            return array[()] if record[2] else array
        if kind == "dtype":
            return dt.to_dtype(record[1])
        if kind == "device":
            return backend.device(record[1])
        raise pickle.UnpicklingError(f"unknown record {kind!r} in the file")

    def _tensor(self, tensor_type, array, requires_grad, location):
        target = self.map_location
        if callable(target):
            mapped = target(Tensor(array), location)
            array = mapped.array if isinstance(mapped, Tensor) else mapped
        else:
            if isinstance(target, dict):
                target = target.get(location, location)
            target = backend.device(location if target is None else target)
            if target.type == "cuda" and not backend.cuda_is_available():
                raise RuntimeError(f"the file holds a tensor on {location}, to be "
                                   f"loaded on {target}, but CUDA is not available "
                                   "here; load it with map_location='cpu'")
            array = backend.to_device(array, target)
        if tensor_type == "Parameter":
            from .nn.module import Parameter  # nn is imported on first use only

            return Parameter(array, requires_grad=requires_grad)
        return Tensor(array, requires_grad=requires_grad)


class _WeightsOnlyUnpickler(_TensorUnpickler):
    def find_class(self, module, name):
        # called for every global the file names: allow only plain data
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[module, name]
        raise pickle.UnpicklingError(
            f"Weights only load failed: the file names the global {module}.{name}, "
            "which load(weights_only=True) does not allow (it allows tensors, dtypes, "
            "devices, numbers, strings and the containers list, tuple, dict, "
            "OrderedDict and set). Save a state_dict rather than a whole object; or, "
            "only for a file from a source you trust, load with weights_only=False, "
            "which runs whatever code the file names.")


def _npy_bytes(array):
    """The array (copied to the host from a GPU) in NumPy's ``.npy`` format."""
    buffer = io.BytesIO()
    np.save(buffer, backend.to_device(array, backend.CPU), allow_pickle=False)
    return buffer.getvalue()


def _npy_array(payload):
    return np.load(io.BytesIO(payload), allow_pickle=False)


def _open(f, mode):
    """A context manager for ``f``: a path is opened (and closed after), a file object
    is used as is."""
    if isinstance(f, (str, os.PathLike)):
        return open(f, mode)
    if isinstance(f, io.TextIOBase):
        raise TypeError("expected a binary file, got a text file; "
                        f"open it with mode '{mode}'")
    if not hasattr(f, "write" if "w" in mode else "read"):
        raise TypeError("expected a path or a binary file object, got "
                        f"{type(f).__name__}")
    return contextlib.nullcontext(f)  # the caller opened it, and closes it


def _not_our_file(header):
    if header.startswith(PYTORCH_ZIP_MAGIC):
        return RuntimeError(
            "this is a PyTorch file (a zip archive), which tinygrad_tutorial.load "
            "cannot read. Convert it with PyTorch: state = torch.load(path); "
            "numpy.savez('weights.npz', **{k: v.numpy() for k, v in state.items()}), "
            "then load the .npz with numpy.load and tinygrad_tutorial.from_numpy.")
    return RuntimeError("not a file written by tinygrad_tutorial.save (it starts with "
                        f"{header[:8]!r}, not {MAGIC[:8]!r})")
