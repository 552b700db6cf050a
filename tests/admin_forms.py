"""Filling in the Wagtail admin's own forms as a browser would, for the editor tests.

``form_data(response)`` reads the form a page shows (the page editor, the settings
editor) from its HTML and returns what a browser would send for it unchanged: every
field's current value, checkboxes only when ticked, rich text as the editor's own hidden
value. Tests change what a person would change and post it back.
"""

from bs4 import BeautifulSoup

from anon_messaging.pages import ReportFormPage


def form_data(response, form_id=None):
    """What the main form of ``response`` would send, as ``{name: value or [values]}``."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    if form_id:
        form = soup.find("form", id=form_id)
    else:
        forms = [f for f in soup.find_all("form") if (f.get("method") or "").lower() == "post"]
        form = max(forms, key=lambda f: len(f.find_all(["input", "select", "textarea"])))
    data = {}

    def add(name, value):
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value

    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or "__prefix__" in name or element.find_parent("template"):
            continue
        if element.name == "input":
            kind = (element.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                continue
            if kind in ("checkbox", "radio") and not element.has_attr("checked"):
                continue
            add(name, element.get("value", "on" if kind == "checkbox" else ""))
        elif element.name == "textarea":
            add(name, element.text.removeprefix("\n"))
        else:
            chosen = [o for o in element.find_all("option") if o.has_attr("selected")]
            if not chosen and not element.has_attr("multiple"):
                chosen = element.find_all("option")[:1]
            for option in chosen:
                add(name, option.get("value", option.text))
    return data


_FORMS_READ = {}


def form_read_once(client, url, state):
    """``form_data`` of ``url`` as ``client`` reads it: read through the admin (a GET, which
    must answer 200) the first time for ``state``, a copy of that read after.

    For the variations of one parametrised test, which each start from the same database
    and post their own change to the same unchanged form: reading it once is enough.
    ``state`` must name everything the form could differ by (the test, who reads it, the
    revision or the rows it edits), so that a form that could differ is read again."""
    key = (url, *state)
    if key not in _FORMS_READ:
        response = client.get(url)
        assert response.status_code == 200
        _FORMS_READ[key] = form_data(response)
    return dict(_FORMS_READ[key])


def page_edit_url(page):
    return f"/admin/pages/{page.pk}/edit/"


def add_question(data, label, field_type="singleline", *, required=False, prefix="form_fields"):
    """Add a question to the page editor's data, as "Add questions" would."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data.update(
        {
            f"{prefix}-{index}-label": label,
            f"{prefix}-{index}-field_type": field_type,
            f"{prefix}-{index}-help_text": "",
            f"{prefix}-{index}-choices": "",
            f"{prefix}-{index}-default_value": "",
            f"{prefix}-{index}-error_message": "",
            f"{prefix}-{index}-ORDER": str(index + 1),
            f"{prefix}-{index}-id": "",
        }
    )
    if required:
        data[f"{prefix}-{index}-required"] = "on"
    return index


def anonymous_form_page(language="en-gb"):
    """The demo's anonymous form in ``language`` (it has one in English, Welsh and Arabic)."""
    return ReportFormPage.objects.get(slug="anonymous", locale__language_code=language)
