"""Pipeline configuration: YAML with an ``!env`` tag for environment values."""

import os
from typing import Any, Mapping, Optional

import yaml


class ConfigError(ValueError):
    """The pipeline configuration is missing something or is malformed."""


_MISSING = object()


def resolve_env(name: str, default: Any = _MISSING, environ: Optional[Mapping[str, str]] = None) -> Any:
    """Return ``environ[name]``, else ``default``; raise ConfigError if neither."""
    environ = os.environ if environ is None else environ
    if not name or not name.replace("_", "").isalnum():
        raise ConfigError(f"invalid environment variable name: {name!r}")
    if name in environ:
        return environ[name]
    if default is not _MISSING:
        return default
    raise ConfigError(f"environment variable {name} is not set")


def _env_constructor(loader, node):
    """``!env NAME`` or ``!env [NAME, default]``."""
    if isinstance(node, yaml.ScalarNode):
        return resolve_env(loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        items = loader.construct_sequence(node, deep=True)
        if len(items) != 2:
            raise ConfigError("!env with a default takes exactly [NAME, default]")
        return resolve_env(str(items[0]), items[1])
    raise ConfigError("!env expects a variable name or [NAME, default]")


yaml.add_constructor("!env", _env_constructor)


def load_config(text: str) -> Mapping[str, Any]:
    """Parse a pipeline definition from YAML text."""
    data = yaml.load(text)
    if not isinstance(data, Mapping):
        raise ConfigError("a pipeline definition must be a mapping")
    for key in ("source", "steps", "sink"):
        if key not in data:
            raise ConfigError(f"pipeline definition has no {key!r} section")
    return data


def load_config_file(path: str) -> Mapping[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return load_config(fh.read())
