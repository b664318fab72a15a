"""Form fields drawn with what screen readers need, and the error summary at the top of a form.

A field's help and its errors are linked to the input by ``aria-describedby`` (ids that exist
on the page, ``<id>_helptext`` and ``<id>_error``), and an input with an error says so with
``aria-invalid``. The summary links each error to the input it is about: the first button of a
group of radio buttons or check boxes, which have no single input."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


def _ids(field: forms.BoundField) -> list[str]:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return ids


@register.filter
def described_widget(field: forms.BoundField) -> SafeString:
    """The field's input with ``aria-describedby`` naming its help and errors."""
    attrs: dict[str, Any] = {}
    ids = _ids(field)
    if ids and not field.field.widget.attrs.get("aria-describedby"):
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def described_by(field: forms.BoundField) -> str:
    """The ids a group of inputs (a fieldset of radio buttons) is described by."""
    return " ".join(_ids(field))


@register.filter
def field_anchor(field: forms.BoundField) -> str:
    """The id an error summary's link points at: the input, or a group's first input."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        subwidgets = field.subwidgets
        if subwidgets:
            return str(subwidgets[0].id_for_label)
    return str(field.id_for_label or field.auto_id)


@register.simple_tag
def error_count(*forms_: forms.BaseForm | None) -> int:
    """How many errors the forms hold together (a field's errors each count)."""
    total = 0
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        total += sum(len(errors) for errors in form.errors.values())
    return total
