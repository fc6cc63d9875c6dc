"""``Module``: a layer or a whole network, holding parameters and other modules.

Assigning ``self.fc1 = Linear(2, 5)`` inside ``__init__`` is all it takes to register
a submodule: ``__setattr__`` sorts every value into parameters, buffers, submodules
or plain attributes. Everything else (``parameters()``, ``state_dict()``, ``train()``,
``to(device)``) walks that tree. Calling a module runs ``forward``, with any hooks
registered on it before and after. ``ModuleDict``, ``ParameterList`` and
``ParameterDict`` hold modules or parameters by key or position, registered under those
names.
"""
import itertools
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import numpy as np

from .. import autograd, backend
from .. import dtypes as dt
from ..printing import format_tensor
from ..tensor import Tensor, empty


class Parameter(Tensor):
    """A tensor that a Module learns: it requires grad, and assigning it to a Module
    attribute registers it, so ``parameters()`` finds it."""

    def __init__(self, data=None, requires_grad=True):
        array = (empty(0).array if data is None
                 else data.array if isinstance(data, Tensor) else data)
        # shares ``data``'s memory (as in PyTorch) and version counter (as detach())
        super().__init__(array, requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self._version_counter = data.shared_version_counter()

    def __repr__(self):
        return "Parameter containing:\n" + format_tensor(self)


class Module:
    """Base class of every layer and network; subclasses define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the "
                                  'required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)  # the common case: one test, then forward

    # ------------------------------------------------------------ hooks
    def _call_with_hooks(self, args, kwargs):
        """PyTorch's order: each pre-hook may replace the positional arguments,
        ``forward`` runs, then each forward hook sees them with the output, and may
        replace the output."""
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args)`` before every ``forward``; if it returns
        something, that (a tuple, or one value) becomes the positional arguments.
        Returns a handle: ``.remove()``."""
        return RemovableHandle(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args, output)`` after every ``forward``; if it returns
        something, that replaces the output. Returns a handle: ``.remove()``."""
        return RemovableHandle(self._forward_hooks, hook, prepend)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        parameters, buffers, modules = (self.__dict__.get("_parameters"),
                                        self.__dict__.get("_buffers"),
                                        self.__dict__.get("_modules"))
        if isinstance(value, (Parameter, Module)) and parameters is None:
            raise AttributeError(f"cannot assign {type(value).__name__} '{name}' "
                                 "before Module.__init__() call (call "
                                 "super().__init__() first in "
                                 f"{type(self).__name__}.__init__)")
        if isinstance(value, Parameter):
            self._forget(name, keep=parameters)
            parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"'{name}' (nn.Parameter or None expected)")
            parameters[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child "
                                f"module '{name}' (nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer "
                                f"'{name}' (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Remove ``name`` from wherever it was registered before being reassigned
        (except from ``keep``, where it is about to be replaced in place, keeping its
        position)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute "
                             f"'{name}'")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        registered = set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(set(super().__dir__()) | registered)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to "
                            f"parameter '{name}' (nn.Parameter or None required)")
        self._check_new_name(name, "parameter", self._parameters)
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that belongs to the module's state (saved, moved by ``to()``) but is
        not learned."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required)")
        self._check_new_name(name, "buffer", self._buffers)
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module", self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def _check_new_name(self, name, what, registry):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register a {what} "
                                 "before Module.__init__() call")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{what} name must be a non-empty string without '.', "
                           f"got {name!r}")
        # taken by something else (a ModuleDict key "keys" would hide the method)
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    # ------------------------------------------------------------ walking the tree
    def named_modules(self, memo=None, prefix=""):
        """``(name, module)`` for this module and every module below it, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                path = f"{prefix}.{name}" if prefix else name
                yield from module.named_modules(memo, path)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def get_submodule(self, target):
        """The module at a dotted path such as ``"encoder.0"`` (``""``: this module)."""
        module = self
        for name in target.split(".") if target else ():
            if not hasattr(module, name):
                raise AttributeError(f"{type(module).__name__} has no attribute "
                                     f"`{name}`")
            module = getattr(module, name)
            if not isinstance(module, Module):
                raise AttributeError(f"`{name}` is not an nn.Module")
        return module

    def get_parameter(self, target):
        """The parameter at a dotted path such as ``"encoder.0.weight"``, as in
        ``named_parameters()``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                # a tensor shared by two layers is listed once
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        """``('fc1.weight', Parameter)``, ... in registration order, each one once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on this module, e.g. to
        initialise weights."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Training mode for this module and all below it (Dropout drops);
        ``train(False)`` is ``eval()``."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean, "
                             f"got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        autograd.zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------ saving and loading
    def state_dict(self, prefix="", keep_vars=False):
        """Every parameter and persistent buffer by name. The tensors share memory with
        the module (as PyTorch's do): copy them (``clone()``) to keep a snapshot."""
        state = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None and name not in module._non_persistent:
                        key = f"{module_prefix}.{name}" if module_prefix else name
                        state[key] = value if keep_vars else value.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into this module's tensors (in place, so
        optimizers holding the parameters keep working). With ``strict``, the keys must
        match exactly."""
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.array if isinstance(value, Tensor) else value
            shape = tuple(getattr(value, "shape", ()))
            if shape != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{list(shape)} from checkpoint, the shape in current "
                              f"model is {list(target.shape)}.")
                continue
            with autograd.no_grad():
                target.copy_(Tensor(_host_array(value)))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for "
                               f"{type(self).__name__}:\n\t" + "\n\t".join(errors))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ devices and dtypes
    def to(self, *args, dtype=None, device=None):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype,
        in place (the same Parameter objects, so an optimizer made earlier still holds
        them)."""
        for arg in args:
            if isinstance(arg, (str, backend.device)):
                device = arg
            elif isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            else:
                dtype = arg
        device = backend.device(device) if device is not None else None
        dtype = dt.to_dtype(dtype) if dtype is not None else None
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype}")
        if device is not None:
            # raises, with the reason, when the device is unavailable
            backend.array_module(device)

        def convert(tensor):
            array = tensor.array
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype.numpy, copy=False)
            return backend.to_device(array, device) if device is not None else array

        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is None:
                        continue
                    tensor.array = convert(tensor)
                    if tensor.grad is not None:
                        tensor.grad.array = convert(tensor.grad)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        if device is None:
            return self.to("cuda")
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def float(self):
        return self.to(dt.float32)

    def double(self):
        return self.to(dt.float64)

    def half(self):
        return self.to(dt.float16)

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside this module's parentheses, e.g.
        ``in_features=2, out_features=5, bias=True``."""
        return ""

    def __repr__(self):
        # PyTorch's layout: one line for a leaf, children indented below their parent
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                       for name, module in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        lines = extra_lines + child_lines
        body = "\n  " + "\n  ".join(lines) + "\n" if lines else ""
        return f"{type(self).__name__}({body})"


class RemovableHandle:
    """What ``register_forward_hook`` and ``register_forward_pre_hook`` return:
    ``remove()`` takes the hook off again (so does leaving a ``with handle:`` block)."""

    _ids = itertools.count()

    def __init__(self, hooks, hook, prepend=False):
        # the module's dict of hooks, held weakly: a handle must not keep it alive
        self.hooks = weakref.ref(hooks)
        self.id = next(RemovableHandle._ids)
        hooks[self.id] = hook
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self):
        hooks = self.hooks()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class IncompatibleKeys(tuple):
    """``load_state_dict``'s result: ``(missing_keys, unexpected_keys)``, also as
    attributes."""

    def __new__(cls, missing_keys, unexpected_keys):
        return super().__new__(cls, (missing_keys, unexpected_keys))

    missing_keys = property(lambda self: self[0])
    unexpected_keys = property(lambda self: self[1])

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _host_array(value):
    """An array from whatever a state_dict holds: our arrays, or anything NumPy can read
    (a PyTorch tensor)."""
    if isinstance(value, np.ndarray) or backend.is_gpu_array(value):
        return value
    return np.asarray(value)


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children kept in order, appended as ``0``,
    ``1``, ..."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class Sequential(_ModuleSequence):
    """Modules run one after another, each fed the previous one's output; named ``0``,
    ``1``, ... (or by the keys of an OrderedDict)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return type(self)(OrderedDict(items[index]))
        return items[_checked_index(index, len(items), type(self).__name__)][1]


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the parent registers (a plain Python list
    would hide them)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_checked_index(index, len(modules), "ModuleList")]

    def __setitem__(self, index, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        name = list(self._modules)[_checked_index(index, len(self), "ModuleList")]
        self._modules[name] = module  # in place, keeping the order

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __repr__(self):
        """As PyTorch prints it: a run of identical entries shows once,
        ``(0-5): 6 x Layer(...)``."""
        runs = []  # [first index, last index, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return "ModuleList()"
        lines = [(f"({first}): " if first == last
                  else f"({first}-{last}): {last - first + 1} x ")
                 + text.replace("\n", "\n  ") for first, last, text in runs]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


def _checked_index(index, length, what):
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for {what} of length {length}")
    return index % length


class ModuleDict(Module):
    """Modules by name, in insertion order; the name is the key in ``state_dict()``
    (``layers.encoder.weight``). Reads like a dict: ``d[key]``, ``keys()``,
    ``items()``, ``update``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def update(self, modules):
        """Add (or replace) modules from a mapping or from ``(key, module)`` pairs, in
        their order."""
        for key, module in _pairs(modules, "ModuleDict", sort_plain_dicts=False):
            self[key] = module


class ParameterList(Module):
    """Parameters by position, registered as ``0``, ``1``, ...; a tensor put in becomes
    a Parameter."""

    def __init__(self, values=None):
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self[i] for i in range(*index.indices(len(self))))
        return getattr(self, str(_checked_index(index, len(self), "ParameterList")))

    def __setitem__(self, index, value):
        name = str(_checked_index(index, len(self), "ParameterList"))
        setattr(self, name, _as_parameter(value))

    def append(self, value):
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError("ParameterList.extend should be called with an iterable, "
                            f"but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    __iadd__ = extend

    def extra_repr(self):
        return "\n".join(_entry_line(i, value, lambda t: repr(t.dtype))
                         for i, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """Parameters by name, in insertion order; a tensor put in becomes a Parameter. As
    in PyTorch, ``update`` with a plain ``dict`` adds its keys in sorted order (an
    OrderedDict keeps its order)."""

    def __init__(self, parameters=None):
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, _string_key(key))

    def __setitem__(self, key, value):
        self._keys[_string_key(key)] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def values(self):
        return (self[key] for key in self._keys)

    def items(self):
        return ((key, self[key]) for key in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def update(self, parameters):
        for key, value in _pairs(parameters, "ParameterDict", sort_plain_dicts=True):
            self[key] = value

    def extra_repr(self):
        return "\n".join(_entry_line(key, value, _legacy_type_name)
                         for key, value in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")


def _pairs(items, what, sort_plain_dicts):
    """``(key, value)`` pairs from a mapping or an iterable of pairs, with PyTorch's
    errors."""
    if not isinstance(items, Iterable):
        raise TypeError(f"{what}.update should be called with an iterable of key/value "
                        f"pairs, but got {type(items).__name__}")
    if isinstance(items, (Mapping, ModuleDict, ParameterDict)):
        plain = (sort_plain_dicts and isinstance(items, Mapping)
                 and not isinstance(items, OrderedDict))
        return sorted(items.items()) if plain else list(items.items())
    pairs = []
    for j, pair in enumerate(items):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{what} update sequence element #{j} should be Iterable; "
                            f"is {type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{what} update sequence element #{j} has length "
                             f"{len(pair)}; 2 is required")
        pairs.append(tuple(pair))
    return pairs


def _as_parameter(value):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _string_key(key):
    if not isinstance(key, str):
        raise TypeError("Index given to ParameterDict cannot be used as a key as it is "
                        f"not a string (type is '{type(key).__name__}')")
    return key


def _entry_line(key, value, type_text):
    """One line of a ParameterList's or ParameterDict's repr, in PyTorch's words."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    size = "x".join(str(n) for n in value.shape)
    where = f" ({value.device})" if value.device.type == "cuda" else ""
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"  ({key}): {kind} containing: [{type_text(value)} of size {size}{where}]"


def _legacy_type_name(tensor):
    """PyTorch's old tensor type names (``torch.FloatTensor``), which ParameterDict's
    repr still uses."""
    name = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[tensor.dtype.name]
    return f"tinygrad_tutorial.{'cuda.' if tensor.is_cuda else ''}{name}Tensor"
