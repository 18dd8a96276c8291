"""Arrow's compute functions, each made when first used: ``from tierform.core import
arrow_compute as pc`` stands in for ``import pyarrow.compute as pc``.

Importing ``pyarrow.compute`` wraps every one of Arrow's ~300 compute functions in a Python
function with a generated signature and docstring: about 0.035 s, a tenth of what a command
on a small book takes in all. tierform calls a few dozen of them. Here each is wrapped as it
is first called, the way ``pyarrow.compute`` wraps them (positional arguments up to the
function's arity, then the function's options by position or keyword, or ``options=``), so
a call reads and behaves the same. ``cast``, ``fill_null`` and ``take``, which
``pyarrow.compute`` writes by hand rather than generates, are written here the same way.

Only the functions and their options are here; expressions (``pc.field``) are not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
from pyarrow import _compute

#: Arrow's functions whose names are Python keywords, as ``pyarrow.compute`` renames them.
_RENAMED = {"and_": "and", "or_": "or"}


def cast(
    arr: Any,
    target_type: Any = None,
    safe: bool | None = None,
    options: Any = None,
    memory_pool: Any = None,
) -> Any:
    """``pyarrow.compute.cast``: safe unless ``safe=False``."""
    if options is not None and (safe is not None or target_type is not None):
        raise ValueError(
            "Must either pass values for 'target_type' and 'safe' or pass a value for 'options'"
        )
    if options is None:
        target = pa.types.lib.ensure_type(target_type)
        options = (
            _compute.CastOptions.unsafe(target)
            if safe is False
            else _compute.CastOptions.safe(target)
        )
    return _compute.call_function("cast", [arr], options, memory_pool)


def fill_null(values: Any, fill_value: Any) -> Any:
    """``pyarrow.compute.fill_null``: a plain value is made a scalar of the values' type."""
    if not isinstance(fill_value, pa.Array | pa.ChunkedArray | pa.Scalar):
        fill_value = pa.scalar(fill_value, type=values.type)
    elif values.type != fill_value.type:
        fill_value = pa.scalar(fill_value.as_py(), type=values.type)
    return _compute.call_function("coalesce", [values, fill_value])


def take(data: Any, indices: Any, *, boundscheck: bool = True, memory_pool: Any = None) -> Any:
    """``pyarrow.compute.take``."""
    options = _compute.TakeOptions(boundscheck=boundscheck)
    return _compute.call_function("take", [data, indices], options, memory_pool)


def __getattr__(name: str) -> Callable[..., Any]:
    """Arrow's compute function ``name``, wrapped once and kept as this module's attribute."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        function = _compute.get_function(_RENAMED.get(name, name))
    except (KeyError, pa.ArrowKeyError) as missing:
        raise AttributeError(f"Arrow has no compute function {name!r}") from missing
    wrapper = _wrapped(name, function)
    globals()[name] = wrapper
    return wrapper


def _wrapped(name: str, function: Any) -> Callable[..., Any]:
    """``function`` called as ``pyarrow.compute`` calls it (its ``_make_generic_wrapper``)."""
    class_name = function._doc.options_class
    options_class = getattr(_compute, class_name) if class_name else None
    arity = function.arity

    def call(*args: Any, memory_pool: Any = None, options: Any = None, **kwargs: Any) -> Any:
        option_args: tuple[Any, ...] = ()
        if arity is not Ellipsis:
            if len(args) < arity or (options_class is None and len(args) != arity):
                raise TypeError(
                    f"{name} takes {arity} positional argument(s), but {len(args)} were given"
                )
            args, option_args = args[:arity], args[arity:]
        if options_class is None:
            if options is not None or kwargs:
                raise TypeError(f"{name} takes no options")
            return function.call(args, None, memory_pool)
        options = _options(name, options_class, options, option_args, kwargs)
        return function.call(args, options, memory_pool)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Arrow's compute function {function.name!r} (see pyarrow.compute.{name})."
    return call


def _options(
    name: str, options_class: type, options: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The function's options object, from its arguments as ``pyarrow.compute`` reads them."""
    if args or kwargs:
        if options is not None:
            raise TypeError(
                f"Function {name!r} called with both an 'options' argument and additional arguments"
            )
        return options_class(*args, **kwargs)
    if options is None or isinstance(options, options_class):
        return options
    if isinstance(options, dict):
        return options_class(**options)
    raise TypeError(f"Function {name!r} expected a {options_class} parameter, got {type(options)}")
