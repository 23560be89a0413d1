"""Items as content-file YAML in the edit form, and reading that YAML back safely."""
from __future__ import annotations

import yaml
from flask_babel import gettext as _

META = ("id", "kind", "skill", "cefr", "topic")


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: dict) -> str:
    if not data:
        return ""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=88)


class YAMLFieldsError(ValueError):
    pass


def load_fields(text: str) -> dict:
    """The mapping written in the form's YAML box. Anchors and aliases are refused (they
    could make a small text expand into a huge one)."""
    if not text.strip():
        return {}
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
                raise YAMLFieldsError(_("Anchors and aliases (& and *) are not allowed here."))
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        if mark is None:
            raise YAMLFieldsError(_("The text is not valid %(format)s: %(problem)s",
                                    format="YAML", problem=err)) from None
        raise YAMLFieldsError(_("The text is not valid %(format)s (line %(line)s, column "
                                "%(column)s): %(problem)s", format="YAML", line=mark.line + 1,
                                column=mark.column + 1, problem=err.problem or err)) from None
    except yaml.YAMLError as err:
        raise YAMLFieldsError(_("The text is not valid %(format)s: %(problem)s", format="YAML",
                                problem=err)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise YAMLFieldsError(_("Write the fields as a mapping: one 'name: value' a line."))
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise YAMLFieldsError(_("Field names must be words, not %(name)s.", name=repr(bad[0])))
    return data
