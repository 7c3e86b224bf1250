"""Turn a pipeline definition into callables and run rows through them."""

from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping

from .config import ConfigError

Row = Dict[str, Any]
Step = Callable[[Iterable[Row]], Iterator[Row]]


def _rename(spec: Mapping[str, Any]) -> Step:
    mapping = dict(spec["fields"])

    def step(rows):
        for row in rows:
            yield {mapping.get(k, k): v for k, v in row.items()}

    return step


def _drop_nulls(spec: Mapping[str, Any]) -> Step:
    columns = list(spec.get("columns", []))

    def step(rows):
        for row in rows:
            keys = columns or list(row)
            if all(row.get(k) is not None for k in keys):
                yield row

    return step


def _cast(spec: Mapping[str, Any]) -> Step:
    casts = {"int": int, "float": float, "str": str}
    try:
        fields = {name: casts[kind] for name, kind in spec["fields"].items()}
    except KeyError as exc:
        raise ConfigError(f"cast: unknown type {exc}") from None

    def step(rows):
        for row in rows:
            out = dict(row)
            for name, fn in fields.items():
                if out.get(name) is not None:
                    out[name] = fn(out[name])
            yield out

    return step


STEP_TYPES: Dict[str, Callable[[Mapping[str, Any]], Step]] = {
    "rename": _rename,
    "drop_nulls": _drop_nulls,
    "cast": _cast,
}


def build_steps(definitions: List[Mapping[str, Any]]) -> List[Step]:
    steps = []
    for i, spec in enumerate(definitions):
        kind = spec.get("type")
        if kind not in STEP_TYPES:
            raise ConfigError(f"steps[{i}]: unknown step type {kind!r}")
        steps.append(STEP_TYPES[kind](spec))
    return steps


def run(rows: Iterable[Row], steps: List[Step]) -> List[Row]:
    stream: Iterable[Row] = rows
    for step in steps:
        stream = step(stream)
    return list(stream)
