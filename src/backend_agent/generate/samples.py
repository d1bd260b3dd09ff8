"""Sample values for the generated tests: rows for factories, request bodies from the contract."""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]

PASSWORD = "Correct-Horse-42!"  # fits every password policy a blueprint can state (letter, digit, symbol)


# Shapes of unique sample strings tried against a ``pattern`` (e.g. ``^[A-Z][A-Z0-9_]{1,63}$`` takes ``S{n}``).
_PATTERN_SHAPES = ("s{n}", "S{n}", "s-{n}", "S_{n}", "{n}", "s_{n}")


def _pattern_sample(pattern: str, unique: bool, limit: int | None, minimum: int) -> str | None:
    """A sample expression whose every value (any ``n``) matches ``pattern``, if a simple shape does."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    # fixed-width digits (``^[0-9]{16}$``, a card number): n zero-padded to each width the pattern names
    widths = [f"{{n:0{width}d}}" for width in re.findall(r"\{(\d+)\}", pattern) if 8 <= int(width) <= 64]
    for shape in (*_PATTERN_SHAPES, *widths):
        values = [shape.format(n=n) for n in (1, 7, 12345678)]
        if all(compiled.search(v) and minimum <= len(v) <= (limit or 64) for v in values):
            return f'f"{shape}"' if unique else repr(values[0])
    return _spelled_sample(pattern, compiled, unique, limit, minimum)


# Alphabets a repeated character class can spell ``n`` in: digits as they are, or 0-9 as a-j / A-J.
_ALPHABETS = (("0123456789", "str(n)"), ("abcdefghij", '"".join(chr(97 + int(d)) for d in str(n))'),
              ("ABCDEFGHIJ", '"".join(chr(65 + int(d)) for d in str(n))'))


def _spelled_sample(pattern: str, compiled: re.Pattern[str], unique: bool, limit: int | None,
                    minimum: int) -> str | None:
    """A sample built from the pattern itself: its shortest match, with ``n`` spelled (left-padded to the
    repeat's minimum) in the first repeated class that can hold it, e.g. ``^[A-Za-z]+$`` -> ``bch`` for 127."""
    try:
        parts = _parts(_regex_parser().parse(pattern))
    except (re.error, ValueError, TypeError, OverflowError):
        return None
    if parts is None:
        return None
    for pad in (0, minimum):  # a minLength beyond the pattern's own: the spelled run grows to reach it
        found = _spelled(parts, compiled, unique, limit, minimum, pad)
        if found is not None:
            return found
    return None


def _spelled(parts: list[str | tuple[set[str], int, int]], compiled: re.Pattern[str], unique: bool,
             limit: int | None, minimum: int, pad: int) -> str | None:
    values: dict[int, str] = {}
    expression = ""
    for n in (1, 7, 12345678):
        text, code, spelled = "", [""], False
        for part in parts:
            if isinstance(part, str):
                text += part
                code[-1] += part
                continue
            chars, low, high = part
            alphabet = next(((a, e) for a, e in _ALPHABETS if set(a) <= chars), None)
            if pad and not spelled and high >= low + pad:
                low += pad
            if spelled or not unique or alphabet is None or high < 3:
                text += _filler(chars) * low  # the shortest run of the class
                code[-1] += _filler(chars) * low
                continue
            digits, expr = alphabet
            spelled = True
            cap = "" if high >= 8 else f" % {10 ** high}"  # a short run: unique for the first 10**high values
            expr = expr.replace("str(n)", f"str(n{cap})") if cap else expr
            word = "".join(digits[int(d)] for d in str(n % 10 ** high if cap else n)).rjust(low, digits[0])
            text += word
            code.extend([f"({expr}).rjust({low}, {digits[0]!r})" if low > 1 else f"({expr})", ""])
        if unique and not spelled:
            return None
        values[n] = text
        expression = " + ".join(c if c.startswith("(") else repr(c) for c in code if c)
    if not all(compiled.search(v) and minimum <= len(v) <= (limit or 64) for v in values.values()):
        return None
    return expression if unique else repr(values[1])


def _filler(chars: set[str]) -> str:
    """A plain character of a class: a letter or digit where it has one."""
    return next((c for c in "s0aSA" if c in chars), min(chars))


def _regex_parser() -> Any:
    import re._parser as parser  # the parser ``re`` itself compiles with

    return parser


def _parts(tree: Any) -> list[str | tuple[set[str], int, int]] | None:
    """The parsed pattern as literal text and repeated character classes (chars, min, max); None for
    constructs a sample cannot be read from (look-arounds, back references, negated classes)."""
    import re._constants as constants

    out: list[str | tuple[set[str], int, int]] = []
    for op, arg in tree:
        if op is constants.AT:
            continue
        if op is constants.LITERAL:
            out.append(chr(arg))
        elif op in (constants.IN, constants.ANY, constants.CATEGORY):
            chars = _class_chars(constants, [(op, arg)] if op is not constants.IN else arg)
            if not chars:
                return None
            out.append((chars, 1, 1))
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            inner = _parts(sub)
            if inner is None:
                return None
            if len(inner) == 1 and not isinstance(inner[0], str):
                chars, _, _ = inner[0]
                out.append((chars, low, min(high, 64)))
            else:
                out.extend(inner * max(low, 0))
        elif op is constants.SUBPATTERN:
            inner = _parts(arg[-1])
            if inner is None:
                return None
            out.extend(inner)
        elif op is constants.BRANCH:
            inner = _parts(arg[1][0])
            if inner is None:
                return None
            out.extend(inner)
        else:
            return None
    return out


def _class_chars(constants: Any, items: list[tuple[Any, Any]]) -> set[str]:
    """The printable ASCII characters a character class (``[...]``, ``.``, ``\\d``) accepts; empty when negated."""
    chars: set[str] = set()
    for op, arg in items:
        if op is constants.NEGATE:
            return set()
        if op is constants.LITERAL:
            chars.add(chr(arg))
        elif op is constants.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1) if 32 <= c < 127)
        elif op is constants.ANY:
            chars.update("abcdefghijklmnopqrstuvwxyz0123456789")
        elif op is constants.CATEGORY:
            name = str(arg)
            if "DIGIT" in name and "NOT" not in name:
                chars.update("0123456789")
            elif "WORD" in name and "NOT" not in name:
                chars.update("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
            elif "SPACE" in name and "NOT" not in name:
                chars.add(" ")
    return chars


def _string_sample(schema: Json, unique: bool) -> str:
    """A Python expression (using ``n``) for a string value."""
    if isinstance(schema.get("pattern"), str):
        found = _pattern_sample(schema["pattern"], unique, schema.get("maxLength"), schema.get("minLength", 0))
        if found is not None:
            return found
    fmt = schema.get("format")
    example = (schema.get("examples") or [None])[0]
    if fmt == "email":
        base = example if isinstance(example, str) and "@" in example else "user@example.com"
        return f'f"u{{n}}.{base}"' if unique else repr(base)
    if fmt == "uri":
        return repr("https://example.com/image.png")
    if isinstance(example, str):
        limit = schema.get("maxLength")
        if unique:
            head = example[: max(1, (limit or 64) - 6)]
            return f'f"{head}{{n}}"'
        return repr(example if limit is None else example[:limit])
    minimum = max(schema.get("minLength", 1), 1)
    return f'f"{"s" * minimum}{{n}}"' if unique else repr("s" * minimum)


def json_sample(schema: Json, components: Json, unique: bool = False, targets: dict[str, str] | None = None) -> str:
    """A Python expression for a JSON value valid against ``schema``.

    ``targets`` maps a node's ``x-target`` annotation (``password``, ``identity:email``...) to the
    expression written for it instead of a sample.
    """
    if targets and schema.get("x-target") in targets:
        return targets[str(schema["x-target"])]
    if "$ref" in schema:
        return json_sample(components[schema["$ref"].rsplit("/", 1)[-1]], components, unique, targets)
    if "enum" in schema:
        return repr(next(v for v in schema["enum"] if v is not None))
    if "const" in schema:
        return repr(schema["const"])
    types = schema.get("type")
    kind = next((t for t in ([types] if isinstance(types, str) else (types or [])) if t != "null"), None)
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "password" or schema.get("writeOnly"):
            return repr(PASSWORD)
        if fmt == "decimal":
            example = (schema.get("examples") or ["10.00"])[0]
            return repr(str(example))
        if fmt == "date-time":
            return repr("2026-01-31T12:00:00.000Z")
        if fmt == "date":
            return repr("2026-01-31")
        if fmt == "time":
            return repr("12:00:00")
        if fmt == "uuid":
            return "str(uuid.uuid4())"
        if schema.get("contentEncoding") == "base64":
            return repr("aGVsbG8=")
        return _string_sample(schema, unique)
    if kind == "integer":
        low = schema.get("minimum", 1)
        return repr(max(int(low), 1) if schema.get("maximum", 10**9) >= 1 else int(low))
    if kind == "number":
        return repr(float(max(schema.get("minimum", 1), 1)))
    if kind == "boolean":
        return "False"
    if kind == "array":
        item = json_sample(schema.get("items", {}), components, unique, targets)
        return f"[{item}]" if schema.get("minItems") else "[]"
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        pairs = [f"{key!r}: {json_sample(prop, components, unique, targets)}"
                 for key, prop in schema.get("properties", {}).items() if key in required]
        return "{" + ", ".join(pairs) + "}"
    return '{"key": "value"}'


def row_sample(field: Json) -> str:
    """A Python expression (using ``n``) for a stored value of a required field."""
    py = field["python_type"]
    schema = field["json_schema"]
    if field["secret"]:
        return "PASSWORD_HASH"
    if "enum" in schema:
        return repr(schema["enum"][0])
    if py == "str":
        if field.get("derive_from"):
            return 'f"derived-{n}"'
        return _string_sample(schema, field["unique"])
    if py == "int":
        return repr(max(int(schema.get("minimum", 1)), 1)) if not field["unique"] else "n"
    if py == "float":
        return repr(float(max(schema.get("minimum", 1), 1)))
    if py == "Decimal":
        example = field.get("example") or "10.00"
        return f"Decimal({str(example)!r})"
    if py == "bool":
        return "False"
    if py == "datetime":
        return "datetime.now(UTC)"
    if py == "date":
        return "date(2026, 1, 31)"
    if py == "time":
        return "time(12, 0)"
    if py in ("UUID", "uuid"):
        return "str(uuid.uuid4())"
    if py == "bytes":
        return 'b"hello"'
    return '{"key": "value"}'


def dummy_path_value(schema: Json) -> str:
    kind = schema.get("type")
    if kind == "integer":
        return "999999999"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    example = (schema.get("examples") or [None])[0]
    return str(example) if isinstance(example, str) else "missing-key"


def is_identifier_like(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text))


__all__ = ["PASSWORD", "dummy_path_value", "json_sample", "row_sample"]
