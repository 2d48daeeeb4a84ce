"""Render one template as Deployment Manager does: Jinja with `properties`, `env` and `imports` (file
texts by import name), or Python's `GenerateConfig(context)` (context.properties, context.env,
context.imports). Either gives a mapping with `resources` (and optionally `outputs`)."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from types import SimpleNamespace
from typing import Any

import jinja2
import yaml

from gcpkit.dmconfig.files import Imported, yaml_problem


class TemplateError(Exception):
    """A template did not render; the message names the line where that is known."""


class _Undefined(jinja2.Undefined):
    """False in a test (`{% if properties["x"] %}`, as Deployment Manager allows), an error when printed."""

    __str__ = jinja2.StrictUndefined.__str__
    __iter__ = jinja2.StrictUndefined.__iter__
    __len__ = jinja2.StrictUndefined.__len__


def render(template: Imported, properties: dict, env: dict, imports: dict[str, str]) -> dict:
    if template.path.suffix.lower() == ".py":
        result = _python(template, properties, env, imports)
    else:
        result = _jinja(template, properties, env, imports)
    if isinstance(result, str):
        try:
            result = yaml.safe_load(result)
        except yaml.YAMLError as e:
            raise TemplateError(f"its output is {yaml_problem(e)}") from None
    if result is None:
        result = {}
    if not isinstance(result, dict):
        raise TemplateError(f"must produce a mapping with 'resources', got {type(result).__name__}")
    return result


def _jinja(template: Imported, properties: dict, env: dict, imports: dict[str, str]) -> str:
    loader = jinja2.ChoiceLoader([jinja2.DictLoader(imports), jinja2.FileSystemLoader(str(template.path.parent))])
    jenv = jinja2.Environment(loader=loader, undefined=_Undefined, keep_trailing_newline=True, autoescape=False)
    try:
        return jenv.from_string(template.text).render(properties=properties, env=env, imports=imports)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(f"line {e.lineno}: Jinja syntax error: {e.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError,
            ZeroDivisionError) as e:
        line = _line_in(e, "<template>")
        msg = getattr(e, "message", None) or str(e)
        raise TemplateError(f"{'line ' + str(line) + ': ' if line else ''}{type(e).__name__}: {msg}") from None


def _line_in(exc: BaseException, filename: str) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def _python(template: Imported, properties: dict, env: dict, imports: dict[str, str]) -> Any:
    """Import the template in-process (its folder first on sys.path, for helpers it imports) and call
    GenerateConfig; helpers it imported from its folder are forgotten afterwards, so two configs never
    share them."""
    folder = str(template.path.parent)
    before = set(sys.modules)
    sys.path.insert(0, folder)
    filename = str(template.path)
    try:
        spec = importlib.util.spec_from_file_location(f"_gcpkit_dm_{template.path.stem}", filename)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as e:
            raise TemplateError(f"line {e.lineno}: cannot import: SyntaxError: {e.msg} "
                                "(Deployment Manager ran Python 2; gcpkit runs templates with Python 3)") from None
        except Exception as e:  # noqa: BLE001 - any failure of user code becomes one listed problem
            raise TemplateError(_described(e, filename, "cannot import")) from None
        generate = getattr(module, "GenerateConfig", None) or getattr(module, "generate_config", None)
        if not callable(generate):
            raise TemplateError("defines no GenerateConfig(context)")
        context = SimpleNamespace(properties=properties, env=env, imports=imports)
        try:
            return generate(context)
        except Exception as e:  # noqa: BLE001
            raise TemplateError(_described(e, filename, "GenerateConfig failed")) from None
    finally:
        sys.path.remove(folder)
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", None) or "").startswith(folder):
                del sys.modules[name]


def _described(exc: BaseException, filename: str, what: str) -> str:
    line = _line_in(exc, filename)
    return f"{'line ' + str(line) + ': ' if line else ''}{what}: {type(exc).__name__}: {exc}"

