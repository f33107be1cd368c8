"""Compiled agreements as bytes, so that a server loads them instead of parsing their text.

`dumps(compiled)` pickles the compact form (no syntax tree, no checker symbols: about 28 KB
instead of 338 KB in memory for a 6 KB agreement); `loads(data)` gives it back with its short
strings interned and its field descriptions shared with every other loaded agreement, so that
10,000 agreements in force fit in one worker. Code that needs the syntax tree (the PDF's
wording) calls `CompiledAgreement.with_syntax()`, which compiles the canonical source again.

A pickle is only as good as the code that made it: `VERSION` is the package version and a hash
of the engine's and the language's source files, so that a changed engine never loads a pickle
of an old one (`loads` raises `StaleForm`, as it does for bytes that are not a compiled form).

Compiled conditions (engine/conditions.py) are plain objects with `__slots__`; they travel as
their class and slot values. A slot may hold a function from a module-level table of that
module (a comparison's test, `_TESTS["<"]`): it travels as the table's name and key. Nothing
here registers anything globally: the reducers live in the pickler's own dispatch table.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import json
import pickle
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import FunctionType, MappingProxyType

from dsl.types import FieldInfo
from engine import compiler as _compiler
from engine import conditions as _conditions
from engine.compiler import CompiledAgreement

FORMAT = 1  # of the bytes this module writes, independent of the code that compiles
_MAGIC = b"compact-compiled"
_ROOT = Path(__file__).resolve().parent.parent
_HASHED = ("engine", "dsl")  # the packages whose source decides what a compiled form is


class StaleForm(ValueError):
    """Bytes that are no compiled form of this version of Compact (another one, or damaged)."""


@lru_cache(maxsize=1)
def compact_version() -> str:
    """`<package version>+<hash of engine/*.py and dsl/*.py>`, at most 40 characters."""
    try:
        package = metadata.version("compact")
    except metadata.PackageNotFoundError:
        package = "0"
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for folder in _HASHED:
        for path in sorted((_ROOT / folder).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{package}+{digest.hexdigest()}"[:40]


VERSION = compact_version()


# ---------------------------------------------------------------- writing

def _intern(value):
    if type(value) is str:
        return sys.intern(value) if len(value) <= 200 else value
    if type(value) is tuple and value and all(type(v) is str for v in value):
        return tuple(sys.intern(v) if len(v) <= 200 else v for v in value)
    return value


def _proxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


def _slotted(cls, state: tuple):
    obj = cls.__new__(cls)
    setattr_ = object.__setattr__
    for name, value in state:
        if type(value) is str and len(value) <= 200:
            value = sys.intern(value)
        elif type(value) is tuple:
            value = _intern(value)
        setattr_(obj, name, value)
    return obj


def _dataclass(cls, values: tuple):
    obj = cls.__new__(cls)
    names = _field_names(cls)
    for name, value in zip(names, values):
        object.__setattr__(obj, name, _intern(value))
    return obj


_FIELD_INFOS: dict = {}


def _field_info(values: tuple):
    """One shared FieldInfo per distinct description (most agreements declare the same ones)."""
    info = FieldInfo(*(_intern(v) for v in values))
    try:
        return _FIELD_INFOS.setdefault(info, info)
    except TypeError:  # an unhashable `one of`
        return info


_SCHEMA_PROPERTIES: dict[str, dict] = {}


class _Schema:
    """An agreement's incident schema on its way into a pickle: each field's schema travels as
    its JSON text, and every loaded agreement shares one dict per distinct text (most of a
    schema is the built-in fields, the same in every agreement). The dicts are only read."""

    __slots__ = ("schema",)

    def __init__(self, schema):
        self.schema = schema


def _reduce_schema(wrapped: _Schema):
    schema = dict(wrapped.schema)
    properties = schema.pop("properties", None)
    if not isinstance(properties, dict):
        return _proxy, ({**schema, **({} if properties is None else
                                      {"properties": properties})},)
    texts = tuple((name, json.dumps(value, sort_keys=True)) for name, value in properties.items())
    return _schema, (schema, texts)


def _schema(rest: dict, texts: tuple) -> MappingProxyType:
    properties = {}
    for name, text in texts:
        value = _SCHEMA_PROPERTIES.get(text)
        if value is None:
            value = _SCHEMA_PROPERTIES.setdefault(text, json.loads(text))
        properties[sys.intern(name)] = value
    return MappingProxyType({**rest, "properties": properties})


def _table_entry(module: str, table: str, key):
    return getattr(sys.modules[module], table)[key]


@lru_cache(maxsize=None)
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@lru_cache(maxsize=None)
def _slot_names(cls) -> tuple[str, ...]:
    names = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        names.extend((slots,) if isinstance(slots, str) else slots)
    return tuple(dict.fromkeys(n for n in names if n not in ("__dict__", "__weakref__")))


def _reduce_slotted(obj):
    state = tuple((name, getattr(obj, name)) for name in _slot_names(type(obj))
                  if hasattr(obj, name))
    extra = getattr(obj, "__dict__", None)
    if extra:
        state += tuple(extra.items())
    return _slotted, (type(obj), state)


def _reduce_compiled(obj):
    """Without the syntax tree and symbols, and warnings without a copy of the source text
    (`Diagnostic.render` then shows no caret line; messages and positions stay)."""
    def value(name):
        if name in ("document", "symbols"):
            return None
        if name == "schema":
            return _Schema(obj.schema)
        if name == "warnings":
            return tuple(dataclasses.replace(d, source=None) for d in obj.warnings)
        return getattr(obj, name)
    values = tuple(value(name) for name in _field_names(type(obj)))
    return _dataclass, (type(obj), values)


def _reduce_dataclass(obj):
    return _dataclass, (type(obj), tuple(getattr(obj, n) for n in _field_names(type(obj))))


def _function_tables() -> dict[int, tuple]:
    """Functions kept in module-level dicts of the conditions module (lambdas by table/key)."""
    out = {}
    for module in (_conditions,):
        for table, value in vars(module).items():
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, FunctionType):
                        out[id(item)] = (module.__name__, table, key)
    return out


def _dispatch_table() -> dict:
    table = dict(copyreg.dispatch_table)
    table[MappingProxyType] = lambda m: (_proxy, (dict(m),))
    table[FieldInfo] = lambda f: (_field_info, tuple([tuple(getattr(f, n) for n in
                                                            _field_names(FieldInfo))]))
    table[CompiledAgreement] = _reduce_compiled
    table[_Schema] = _reduce_schema
    for cls in (_compiler.Party, _compiler.Role, _compiler.Deadline, _compiler.Clause,
                _compiler.Expectation, _compiler.Example):
        table[cls] = _reduce_dataclass
    return table


class _Pickler(pickle.Pickler):
    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = _DISPATCH
        self._functions = _function_tables()

    def reducer_override(self, obj):
        cls = type(obj)
        if cls is FunctionType:
            where = self._functions.get(id(obj))
            if where is not None:
                return _table_entry, where
            return NotImplemented
        if cls.__module__ == _conditions.__name__ and _slot_names(cls):
            return _reduce_slotted(obj)
        return NotImplemented


_DISPATCH = _dispatch_table()


def dumps(compiled: CompiledAgreement) -> bytes:
    """The compact form of a compiled agreement as bytes of this version (no syntax tree)."""
    out = io.BytesIO()
    out.write(_MAGIC + b" " + VERSION.encode("ascii") + b"\n")
    _Pickler(out).dump(compiled)
    return out.getvalue()


# ---------------------------------------------------------------- reading

_SAFE_MODULES = ("engine.", "dsl.", "datetime", "builtins", "copyreg", "types", "_codecs",
                 "collections")


class _Unpickler(pickle.Unpickler):
    """Only the classes a compiled form is made of (the table is ours, but a cache row should
    never be able to run arbitrary code)."""

    def find_class(self, module, name):
        if module == __name__ or module.startswith(_SAFE_MODULES) or module in _SAFE_MODULES:
            if module == "builtins" and name in ("eval", "exec", "compile", "open", "getattr",
                                                  "__import__", "input", "breakpoint"):
                raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled form")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled form")


def version_of(data: bytes) -> str | None:
    """The Compact version that wrote these bytes, or None if they are no compiled form."""
    head, sep, _ = bytes(data[:200]).partition(b"\n")
    if not sep or not head.startswith(_MAGIC + b" "):
        return None
    return head[len(_MAGIC) + 1:].decode("ascii", "replace")


def loads(data: bytes) -> CompiledAgreement:
    """A compiled agreement from `dumps`; raises StaleForm for another version or bad bytes."""
    version = version_of(data)
    if version is None:
        raise StaleForm("not a compiled form")
    if version != VERSION:
        raise StaleForm(f"compiled by Compact {version}, this is {VERSION}")
    stream = io.BytesIO(data)
    stream.readline()
    try:
        compiled = _Unpickler(stream).load()
    except Exception as exc:  # any damage, whatever the unpickler raises for it
        raise StaleForm(f"a damaged compiled form: {type(exc).__name__}: {exc}") from None
    if not isinstance(compiled, CompiledAgreement):
        raise StaleForm(f"not a compiled agreement but {type(compiled).__name__}")
    return compiled
