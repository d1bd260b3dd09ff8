"""OpenAPI (JSON Schema) request bodies and parameters as pydantic v2 source code.

Only what the design's request schemas use is translated: strings (lengths, patterns, formats),
numbers and decimals with bounds, booleans, enums, nullable types, arrays, nested objects and
``$ref``s to other component schemas. Unknown keywords are ignored on purpose: they document, they
do not constrain.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

Json = dict[str, Any]

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# An absolute URI (RFC 3986): a scheme, then only URI characters or %-escapes, one optional fragment.
_URI_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]|%[0-9A-Fa-f]{2})"
URI_PATTERN = rf"^[A-Za-z][A-Za-z0-9+.\-]*:{_URI_CHAR}*(?:#{_URI_CHAR}*)?$"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def _py_name(key: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower() or "value"
    if text[0].isdigit():
        text = "f_" + text
    if keyword.iskeyword(text) or text in ("model_config", "model_fields", "json", "dict", "copy", "schema"):
        text += "_"
    return text


class SchemaTranslator:
    def __init__(self, openapi: Json) -> None:
        self.openapi = openapi
        self.components: Json = openapi.get("components", {}).get("schemas", {})
        self.models: dict[str, str] = {}  # class name -> source, in definition order

    # -- public ----------------------------------------------------------------------------------------

    def request_model(self, op: Json) -> str | None:
        """The class name of the model validating ``op``'s body (defined on the way): a JSON body, or the
        fields of an HTML form (app/core/forms.py reads them into the same kind of model)."""
        path_item = self.openapi.get("paths", {}).get(op["path"], {})
        operation = path_item.get(op["method"].lower(), {})
        body = operation.get("requestBody")
        if not body:
            return None
        content = body.get("content", {})
        media = content.get("application/json") or content.get("application/x-www-form-urlencoded") or {}
        schema = media.get("schema")
        if schema is None:
            return None
        return self._class_for(schema, _pascal(op["operation_id"]) + "Body")

    def param_annotation(self, schema: Json, required: bool, alias: str | None = None) -> tuple[str, str | None]:
        """``(annotation, default)`` of a path or query parameter; default None when required."""
        annotation, kwargs = self._annotation(schema)
        # query and path values arrive as text: the lax types parse them
        annotation = annotation.replace("JsonInt", "int").replace("StrictBool", "bool").replace("StrictFloat", "float")
        if alias:
            kwargs.append(f"alias={alias!r}")
        default: str | None = None
        if not required:
            value = schema.get("default")
            if value is None and "| None" not in annotation:
                annotation = f"{annotation} | None"
            default = repr(value)
        return f"Annotated[{annotation}, {{where}}({', '.join(kwargs)})]", default

    def render_models(self) -> list[str]:
        return list(self.models.values())

    # -- internals --------------------------------------------------------------------------------------

    def _class_for(self, schema: Json, name: str) -> str:
        ref = schema.get("$ref")
        if ref:
            comp = ref.rsplit("/", 1)[-1]
            if comp not in self.models:
                self.models[comp] = ""  # placeholder against cycles
                self.models[comp] = self._render_class(_pascal(comp), self.components[comp])
                # keep referenced classes before their users
                self.models[comp] = self.models.pop(comp)
            return _pascal(comp)
        if name not in self.models:
            self.models[name] = ""
            source = self._render_class(name, schema)
            self.models.pop(name)
            self.models[name] = source
        return name

    def _render_class(self, name: str, schema: Json) -> str:
        required = set(schema.get("required", []))
        not_null: list[str] = []
        extra = "forbid" if schema.get("additionalProperties") is False else "ignore"
        lines = [f"class {name}(BaseModel):"]
        doc = schema.get("description")
        if doc:
            lines.append(f"    {_docstring(doc)}")
            lines.append("")
        lines.append(f"    model_config = ConfigDict(extra={extra!r}, populate_by_name=False)")
        lines.append("")
        for key, prop in (schema.get("properties") or {}).items():
            annotation, kwargs = self._annotation(prop, owner=name + _pascal(key))
            if key in required:
                kwargs.insert(0, "...")
            else:
                default = prop.get("default")
                if default is None and "null" not in _types(prop):
                    # absent is allowed, explicit null is not (checked by _reject_null below)
                    annotation = f"{annotation} | None"
                    kwargs.insert(0, "default=None")
                    not_null.append(_py_name(key))
                elif default is None:
                    annotation = f"{annotation} | None" if "| None" not in annotation else annotation
                    kwargs.insert(0, "default=None")
                else:
                    kwargs.insert(0, f"default={default!r}")
            kwargs.append(f"alias={key!r}")
            lines.append(f"    {_py_name(key)}: {annotation} = Field({', '.join(kwargs)})")
        if len(lines) == 3:
            lines.append("    pass")
        if not_null:
            names = ", ".join(repr(n) for n in not_null)
            lines += ["", f"    @field_validator({names}, mode=\"before\")", "    @classmethod",
                      "    def _reject_null(cls, value: Any) -> Any:",
                      "        if value is None:",
                      "            raise ValueError(\"may be left out but not null\")",
                      "        return value"]
        return "\n".join(lines)

    def _annotation(self, schema: Json, owner: str = "Nested") -> tuple[str, list[str]]:
        if "$ref" in schema:
            return self._class_for(schema, owner), []
        types = _types(schema)
        nullable = "null" in types
        types = [t for t in types if t != "null"]
        kwargs: list[str] = []
        kind = types[0] if len(types) == 1 else None
        annotation = "Any"
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            annotation = "Literal[" + ", ".join(repr(v) for v in values) + "]"
        elif "const" in schema:
            annotation = f"Literal[{schema['const']!r}]"
        elif kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                annotation = "Rfc3339Datetime"  # app/core/http.py: RFC 3339 text, never a Unix time
            elif fmt == "date":
                annotation = "date"
            elif fmt == "time":
                annotation = "time"
            elif fmt == "decimal":
                annotation = "Decimal"
                kwargs += _bounds(schema)
                kwargs.append("allow_inf_nan=False")
            elif fmt == "uuid":
                # kept as text: the tables store uuids as text on SQLite and compare as text everywhere
                annotation = "str"
                kwargs.append(f"pattern={UUID_PATTERN!r}")
            elif schema.get("contentEncoding") == "base64":
                annotation = "Base64Bytes"
            else:
                annotation = "str"
                if "minLength" in schema:
                    kwargs.append(f"min_length={schema['minLength']}")
                if "maxLength" in schema:
                    kwargs.append(f"max_length={schema['maxLength']}")
                pattern = schema.get("pattern") or {"email": EMAIL_PATTERN, "uri": URI_PATTERN}.get(fmt or "")
                if pattern:
                    kwargs.append(f"pattern={pattern!r}")
        elif kind == "integer":
            annotation = "JsonInt"  # app/core/http.py: 5 or 5.0, never true or "5"
            kwargs += _bounds(schema) + _format_bounds(schema)
        elif kind == "number":
            annotation = "StrictFloat"  # JSON numbers only: no true/false or "5" read as numbers
            kwargs += _bounds(schema)
            kwargs.append("allow_inf_nan=False")
        elif kind == "boolean":
            annotation = "StrictBool"
        elif kind == "array":
            item, item_kwargs = self._annotation(schema.get("items", {}), owner=owner + "Item")
            if item_kwargs:
                item = f"Annotated[{item}, Field({', '.join(item_kwargs)})]"
            annotation = f"list[{item}]"
            if "minItems" in schema:
                kwargs.append(f"min_length={schema['minItems']}")
            kwargs.append(f"max_length={schema.get('maxItems', 1000)}")
        elif kind == "object":
            annotation = self._class_for(schema, owner) if schema.get("properties") else "dict[str, Any]"
        if nullable and annotation != "Any":
            annotation = f"{annotation} | None"
        return annotation, kwargs


def _types(schema: Json) -> list[str]:
    """The JSON types a schema allows; OpenAPI 3.0's ``nullable: true`` counts as the 3.1 ``"null"`` type."""
    value = schema.get("type")
    if value is None:
        return []
    types = [value] if isinstance(value, str) else list(value)
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    return types


def _bounds(schema: Json) -> list[str]:
    out = []
    for key, arg in (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt")):
        if key in schema and not isinstance(schema[key], bool):
            value = schema[key]
            out.append(f"{arg}={value!r}")
    return out


# The range an integer format promises: beyond it the database column overflows (a 500 otherwise).
_INT_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _format_bounds(schema: Json) -> list[str]:
    """``ge``/``le`` from the integer's format where the schema sets no bound of its own."""
    if schema.get("format") not in _INT_FORMATS:
        return []
    low, high = _INT_FORMATS[schema["format"]]
    out = []
    if "minimum" not in schema and "exclusiveMinimum" not in schema:
        out.append(f"ge={low}")
    if "maximum" not in schema and "exclusiveMaximum" not in schema:
        out.append(f"le={high}")
    return out


def _docstring(text: str) -> str:
    return '"""' + text.replace('"""', "'''").replace("\\", "\\\\") + '"""'


py_name = _py_name

__all__ = ["SchemaTranslator", "py_name"]
